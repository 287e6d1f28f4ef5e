import Foundation

/// Locates and decodes the committed fixtures under `Fixtures/` (produced by `Fixtures/gen/`).
public enum Fixture {
    /// The repository's `Fixtures/` folder, found relative to this source file.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// `Fixtures/<relativePath>`.
    public static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    /// Decodes `Fixtures/<relativePath>` as JSON.
    public static func json<T: Decodable>(_ type: T.Type, _ relativePath: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(relativePath)))
    }

    /// The shared real-data folder (`../shared/data` beside the repository), when present.
    public static var sharedData: URL? {
        let u = root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")
        return FileManager.default.fileExists(atPath: u.path) ? u : nil
    }
}

/// Largest absolute difference between two equally long sequences (`.infinity` when the lengths differ).
public func maxAbsDiff<S: Sequence, T: Sequence>(_ a: S, _ b: T) -> Double
where S.Element: BinaryFloatingPoint, T.Element: BinaryFloatingPoint {
    let x = a.map(Double.init), y = b.map(Double.init)
    guard x.count == y.count else { return .infinity }
    return zip(x, y).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Largest relative difference `|a - b| / max(|b|, floor)`.
public func maxRelDiff<S: Sequence, T: Sequence>(_ a: S, _ b: T, floor: Double = 1e-300) -> Double
where S.Element: BinaryFloatingPoint, T.Element: BinaryFloatingPoint {
    let x = a.map(Double.init), y = b.map(Double.init)
    guard x.count == y.count else { return .infinity }
    return zip(x, y).reduce(0) { max($0, abs($1.0 - $1.1) / max(abs($1.1), floor)) }
}
