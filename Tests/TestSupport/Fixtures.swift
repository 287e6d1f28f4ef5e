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

    /// `json(type, relativePath)` decoded once per process and cached. It throws (failing the one test that
    /// asks) where a `static let x = try! ...` would crash the whole suite on a missing or malformed file.
    public static func shared<T: Decodable>(_ type: T.Type, _ relativePath: String) throws -> T {
        _cacheLock.lock()
        defer { _cacheLock.unlock() }
        if let v = _cache[relativePath] as? T { return v }
        let v = try json(type, relativePath)
        _cache[relativePath] = v
        return v
    }

    nonisolated(unsafe) static var _cache: [String: Any] = [:]
    static let _cacheLock = NSLock()

    /// The shared real-data folder (`../shared/data` beside the repository), when present.
    public static var sharedData: URL? {
        let u = root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")
        return FileManager.default.fileExists(atPath: u.path) ? u : nil
    }
}

/// Largest absolute difference between two equally long sequences. `.infinity` when the lengths differ or
/// any element or difference is not finite (NaN included), so `maxAbsDiff(a, b) <= tol` fails on NaN.
public func maxAbsDiff<S: Sequence, T: Sequence>(_ a: S, _ b: T) -> Double
where S.Element: BinaryFloatingPoint, T.Element: BinaryFloatingPoint {
    let x = a.map(Double.init), y = b.map(Double.init)
    guard x.count == y.count else { return .infinity }
    var worst = 0.0
    for (u, v) in zip(x, y) {
        let d = abs(u - v)
        guard u.isFinite, v.isFinite, d.isFinite else { return .infinity }
        worst = Swift.max(worst, d)
    }
    return worst
}

/// Largest relative difference `|a - b| / max(|b|, floor)`; `.infinity` on different lengths or any non-finite
/// element or ratio (NaN included).
public func maxRelDiff<S: Sequence, T: Sequence>(_ a: S, _ b: T, floor: Double = 1e-300) -> Double
where S.Element: BinaryFloatingPoint, T.Element: BinaryFloatingPoint {
    let x = a.map(Double.init), y = b.map(Double.init)
    guard x.count == y.count else { return .infinity }
    var worst = 0.0
    for (u, v) in zip(x, y) {
        let r = abs(u - v) / Swift.max(abs(v), floor)
        guard u.isFinite, v.isFinite, r.isFinite else { return .infinity }
        worst = Swift.max(worst, r)
    }
    return worst
}
