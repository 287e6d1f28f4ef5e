// The Corpus layer; see Docs/.
