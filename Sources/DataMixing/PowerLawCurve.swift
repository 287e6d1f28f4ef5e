import Foundation

/// One domain's DDO response curve `y(x) = (x + a)^(-b) + c`.
///
/// `x = N / N(base)` is the domain's token quantity relative to the base run and `y` the objective relative
/// to the base run's. For `b > 0` and `x > -a` the curve is strictly decreasing and strictly convex;
/// `b = 0` is the flat curve `y = 1 + c` (more tokens of the domain do not change the objective).
public struct PowerLawCurve: Codable, Equatable, Sendable {
    public var a: Double
    public var b: Double
    public var c: Double

    public init(a: Double, b: Double, c: Double) {
        self.a = a
        self.b = b
        self.c = c
    }

    /// `true` for the flat curve `b = 0`.
    public var isFlat: Bool { b == 0 }

    /// `y(x) = (x + a)^(-b) + c`; NaN for `x <= -a` unless flat.
    public func value(_ x: Double) -> Double {
        if b == 0 { return 1 + c }
        return x + a > 0 ? Foundation.pow(x + a, -b) + c : .nan
    }

    /// `y'(x) = -b (x + a)^(-b-1)` (0 when flat).
    public func derivative(_ x: Double) -> Double {
        if b == 0 { return 0 }
        return x + a > 0 ? -b * Foundation.pow(x + a, -b - 1) : .nan
    }

    /// `ln(-y'(x)) = ln b - (b + 1) ln(x + a)`, finite even where `y'` underflows (`-infinity` when flat).
    public func logNegativeSlope(_ x: Double) -> Double {
        if b == 0 { return -.infinity }
        return x + a > 0 ? Foundation.log(b) - (b + 1) * Foundation.log(x + a) : .nan
    }

    /// The `x` where the slope is `-g` (`g > 0`): `x = (b / g)^(1/(b+1)) - a`, computed in logs as
    /// `exp((ln b - ln g)/(b + 1)) - a`. This is the stationarity condition of the KKT allocation with
    /// `g = λ N(base)`. Undefined for the flat curve (returns `-infinity`: "as little as allowed").
    public func inverseSlope(_ logG: Double) -> Double {
        if b == 0 { return -.infinity }
        return Foundation.exp((Foundation.log(b) - logG) / (b + 1)) - a
    }
}
