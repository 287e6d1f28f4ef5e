import Foundation

/// Errors from building, loading, saving or running a model; each prints as one line.
public enum ModelError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// `config.json` is missing a field, has a wrong value, or asks for an unsupported variant.
    case config(file: String, message: String)
    /// A batch whose shape or ids do not fit the model.
    case batch(String)
    /// A checkpoint whose tensors do not match the configuration.
    case checkpoint(file: String, message: String)
    /// A malformed or truncated safetensors file.
    case safetensors(file: String, message: String)
    /// A file-system failure.
    case io(file: String, message: String)

    public var description: String {
        switch self {
        case .config(let f, let m): return "\(f): config: \(m)"
        case .batch(let m): return "batch: \(m)"
        case .checkpoint(let f, let m): return "\(f): \(m)"
        case .safetensors(let f, let m): return "\(f): not a valid safetensors file: \(m)"
        case .io(let f, let m): return "\(f): \(m)"
        }
    }
    public var errorDescription: String? { description }
}
