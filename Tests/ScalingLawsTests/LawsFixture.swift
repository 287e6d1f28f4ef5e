import TestSupport

/// `Fixtures/scaling/laws.json`, written by `Fixtures/gen/scaling_laws.py`.
struct LawsFixture: Decodable {
    struct Fit: Decodable { var theta: [Double]; var objective: Double; var params: [String: Double] }
    struct Grid: Decodable { var alpha: [Double]; var beta: [Double]; var e: [Double]; var a: [Double]; var b: [Double] }
    struct ChinchillaFit: Decodable {
        var grid: Grid; var starts: Int; var theta: [Double]; var objective: Double; var params: [String: Double]
    }
    struct Evaluation: Decodable { var law: String; var loss: String; var theta: [Double]; var value: Double; var gradient: [Double] }
    struct Vertex: Decodable { var flops: Double; var n_opt: Double; var loss: Double }
    struct IsoFLOP: Decodable { var k: Double; var a: Double; var vertices: [Vertex] }
    struct Allocation: Decodable { var flops: Double; var n: Double; var d: Double; var loss: Double }
    struct Optimal: Decodable { var params: [String: Double]; var allocations: [Allocation] }
    var delta: Double
    var chinchilla: ChinchillaFit
    var chinchilla_mse: Fit
    var power: Fit
    var evaluations: [Evaluation]
    var isoflop: IsoFLOP
    var optimal: Optimal

    static func load() throws -> LawsFixture { try Fixture.json(Self.self, "scaling/laws.json") }
}
