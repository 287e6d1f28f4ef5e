import TestSupport

/// `Fixtures/scaling/optimization.json`, written by `Fixtures/gen/scaling_optimization.py`.
struct OptimizationFixture: Decodable {
    struct Minimum: Decodable { var x0: [Double]; var x: [Double]; var fun: Double }
    struct Logistic: Decodable { var x0: [Double]; var x: [Double]; var fun: Double; var X: [[Double]]; var labels: [Double]; var lam: Double }
    struct DDO: Decodable {
        var x: [Double]; var y: [Double]; var p0: [Double]; var popt: [Double]; var pcov: [[Double]]; var cost: Double
        var sigma: [Double]; var popt_sigma: [Double]; var pcov_sigma: [[Double]]
    }
    struct Expo: Decodable { var t: [Double]; var y: [Double]; var p0: [Double]; var popt: [Double]; var cost: Double }
    struct KKT: Decodable { var w: [Double]; var c: [Double]; var target: Double; var root: Double }
    struct Roots: Decodable { var cubic: Double; var kkt: KKT }
    struct Quantiles: Decodable { var values: [Double]; var q: [Double]; var expected: [Double] }
    struct Boot: Decodable { var n: Int; var replicate: Int; var seed: UInt64; var indices: [Int] }
    struct PRNG: Decodable { var splitmix_1234567: [String]; var xoshiro_42: [String]; var bootstrap: [Boot] }
    var rosen2: Minimum
    var rosen10: Minimum
    var logistic: Logistic
    var ddo: DDO
    var expo: Expo
    var roots: Roots
    var quantiles: Quantiles
    var prng: PRNG

    static func load() throws -> OptimizationFixture { try Fixture.json(Self.self, "scaling/optimization.json") }
}
