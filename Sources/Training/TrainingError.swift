import Foundation

/// Everything the training layer can fail with; each case prints as one line that names the
/// step, file or field at fault.
public enum TrainingError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A configuration value is out of range: `field` names it, `reason` says why.
    case invalidConfiguration(field: String, reason: String)
    /// The loss or the gradient norm stopped being finite, or the loss blew up.
    case diverged(step: Int, reason: String)
    /// A checkpoint (directory or file) could not be written or read back.
    case checkpoint(path: String, reason: String)
    /// The CSV training log could not be written.
    case log(path: String, reason: String)
    /// A batch or evaluation source misbehaved.
    case data(String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(field, reason): return "invalid training configuration: \(field): \(reason)"
        case let .diverged(step, reason): return "training diverged at step \(step): \(reason)"
        case let .checkpoint(path, reason): return "checkpoint \(path): \(reason)"
        case let .log(path, reason): return "training log \(path): \(reason)"
        case let .data(reason): return "training data: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
