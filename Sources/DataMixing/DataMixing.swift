// The DataMixing layer; see Docs/.
