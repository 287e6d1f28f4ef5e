/// A smooth scalar function `f: R^n -> R` that also supplies its gradient.
///
/// The optimizers in this module (``LBFGS``) are generic over this protocol, so a concrete
/// objective is specialized and inlined rather than called through a closure.
public protocol DifferentiableObjective {
    /// The number of variables `n`.
    var dimension: Int { get }
    /// Returns `f(x)` and writes `∇f(x)` into `gradient` (already sized `dimension`).
    ///
    /// Returning a non-finite value marks `x` as outside the domain; line searches then shorten the step.
    func value(at x: [Double], gradient: inout [Double]) -> Double
}

/// A ``DifferentiableObjective`` built from a closure `(x, &gradient) -> f(x)`. The closure is `@Sendable`
/// so the objective can also be used with ``MultiStart``.
public struct ClosureObjective: DifferentiableObjective, Sendable {
    public let dimension: Int
    let _body: @Sendable ([Double], inout [Double]) -> Double

    /// - Parameters:
    ///   - dimension: the number of variables.
    ///   - body: returns `f(x)` and writes `∇f(x)` into its second argument.
    public init(dimension: Int, _ body: @escaping @Sendable ([Double], inout [Double]) -> Double) {
        self.dimension = dimension
        self._body = body
    }

    public func value(at x: [Double], gradient: inout [Double]) -> Double { _body(x, &gradient) }
}
