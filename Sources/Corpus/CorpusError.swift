import Foundation

/// Every failure of the Corpus layer, each rendered as ONE line naming the file (and field or position) at fault.
public enum CorpusError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// A file or folder could not be read (missing, permission, not a regular file).
    case unreadable(path: String, reason: String)
    /// A file that must contain text is empty.
    case empty(path: String)
    /// A structured file (JSON, JSONL, tokenizer, manifest) does not have the expected shape.
    case badFormat(path: String, detail: String)
    /// A domain has too little text (or too few tokens) for the requested validation split.
    case tooLittleText(domain: String, detail: String)
    /// A token shard has a bad header or a body whose length disagrees with the header.
    case badShard(path: String, detail: String)
    /// An argument is out of range or inconsistent.
    case invalidArgument(String)
    /// A sampling request would repeat a domain more often than allowed.
    case tooManyEpochs(domain: String, requested: Int, unique: Int, epochs: Int, limit: Int)
    /// Writing an output failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .empty(path): return "\(path): file is empty"
        case let .badFormat(path, detail): return "\(path): \(detail)"
        case let .tooLittleText(domain, detail): return "domain '\(domain)': \(detail)"
        case let .badShard(path, detail): return "\(path): bad token shard: \(detail)"
        case let .invalidArgument(message): return message
        case let .tooManyEpochs(domain, requested, unique, epochs, limit):
            return "domain '\(domain)': \(requested) tokens requested but only \(unique) unique; "
                + "that needs \(epochs) epochs, above the limit of \(limit)"
        case let .writeFailed(path, reason): return "\(path): cannot write: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
