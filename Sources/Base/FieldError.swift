import Foundation

/// A bad value of one named setting. `field` is the setting's canonical snake_case name (`max_epochs`,
/// `eval_domains`, `tokens`); each front end renders it in its own spelling: the CLI as the option
/// (`--max-epochs: ...`, the default ``description``), a YAML file as its key (`file: max_epochs: ...`,
/// ``rendered(inFile:keyPrefix:)``). Libraries throw it instead of writing either spelling into messages.
public struct FieldError: Error, Equatable, CustomStringConvertible, LocalizedError, Sendable {
    public var field: String
    public var message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    /// The command-line option of a field: `max_epochs` -> `--max-epochs`.
    public static func option(_ field: String) -> String { "--" + field.replacingOccurrences(of: "_", with: "-") }

    /// `--option: message`.
    public var description: String { "\(Self.option(field)): \(message)" }

    public var errorDescription: String? { description }

    /// `file: prefix.field: message`, the form for a configuration file.
    public func rendered(inFile file: String, keyPrefix: String = "") -> String { "\(file): \(keyPrefix)\(field): \(message)" }
}
