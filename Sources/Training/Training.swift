// The Training layer; see Docs/.
