// The ScalingLaws layer; see Docs/.
