// The Optimization layer; see Docs/.
