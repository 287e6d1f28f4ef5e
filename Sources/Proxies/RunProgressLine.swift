/// The one line every run loop prints as it reaches a run (DDO runs and trunks, a method's own runs, validation
/// runs): `<tag>: cached` or `<tag>: training on <what>`. A progress bar counts runs by these lines
/// (``startsRun(_:)``), so the format and its test live here, beside the loops that print it.
public enum RunProgressLine {
    public static func cached(_ tag: String) -> String { tag + ": cached" }
    public static func training(_ tag: String, on what: String) -> String { tag + ": training on " + what }

    /// Whether `line` (as printed, or with a prefix such as `rank 1: `) is one of the two.
    public static func startsRun(_ line: String) -> Bool {
        line.hasSuffix(": cached") || line.contains(": training on ")
    }
}
