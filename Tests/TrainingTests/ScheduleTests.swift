import Foundation
import Testing
import TestSupport
@testable import Training

/// Fixtures/training/schedules.json (Fixtures/gen/training_schedules.py).
struct ScheduleFixture: Decodable {
    struct Case: Decodable {
        var kind: String
        var shape: String?
        var peak: Double, warmup: Int, warmup_start: Double
        var total: Int?, cooldown_fraction: Double?, cooldown_steps: Int?, final_fraction: Double?
        var branch_step: Int?, length: Int?
        var lrs: [Double]
    }
    var cases: [Case]
}

@Suite struct ScheduleTests {
    /// Builds the schedule a fixture case describes through the public constructors.
    func schedule(_ c: ScheduleFixture.Case) throws -> Schedule {
        let shape = c.shape.map { CooldownShape(rawValue: $0)! } ?? .linear
        var s: Schedule
        switch c.kind {
        case "wsd":
            if let f = c.cooldown_fraction {
                s = .wsd(peak: c.peak, warmup: c.warmup, totalSteps: c.total!, cooldownFraction: f, shape: shape,
                         finalFraction: c.final_fraction!)
                #expect(s.decay == .warmupStableDecay(totalSteps: c.total!, cooldownSteps: c.cooldown_steps!,
                                                       shape: shape, finalFraction: c.final_fraction!))
            } else {
                s = .wsd(peak: c.peak, warmup: c.warmup, totalSteps: c.total!, cooldownSteps: c.cooldown_steps!,
                         shape: shape, finalFraction: c.final_fraction!)
            }
        case "cosine":
            s = .cosine(peak: c.peak, warmup: c.warmup, totalSteps: c.total!, finalFraction: c.final_fraction!)
        case "constant":
            s = .constant(peak: c.peak, warmup: c.warmup)
        case "branch":
            let trunk = Schedule.constant(peak: c.peak, warmup: c.warmup)
            s = try .cooldown(branchingFrom: trunk, atStep: c.branch_step!, length: c.length!, shape: shape)
            for t in 0..<c.branch_step! { #expect(s.learningRate(at: t) == trunk.learningRate(at: t)) }
        default:
            Issue.record("unknown case kind \(c.kind)")
            return .constant(peak: 1)
        }
        s.warmupStartFraction = c.warmup_start
        try s.validate()
        return s
    }

    /// Every schedule (4 WSD shapes x 2 settings, explicit cooldown length, constant trunk, three
    /// cooldown branches, two cosines from PyTorch's own schedulers) matches the reference at every
    /// step, including past the end, to 1e-12 of the peak (measured 3.3e-16).
    @Test func matchesReference() throws {
        let fixture = try Fixture.json(ScheduleFixture.self, "training/schedules.json")
        #expect(fixture.cases.count == 15)
        for c in fixture.cases {
            let s = try schedule(c)
            for (t, expected) in c.lrs.enumerated() {
                #expect(abs(s.learningRate(at: t) - expected) <= 1e-12 * c.peak,
                        "\(c.kind) \(c.shape ?? "") step \(t): \(s.learningRate(at: t)) vs \(expected)")
            }
        }
    }

    @Test func shapesAtEndpoints() {
        for shape in CooldownShape.allCases {
            #expect(shape.factor(0) == 1)
            #expect(abs(shape.factor(1)) < 1e-15)
        }
        #expect(CooldownShape.oneMinusSqrt.factor(0.25) == 0.5)
        #expect(CooldownShape.square.factor(0.5) == 0.75)
        #expect(CooldownShape(rawValue: "1-sqrt") == .oneMinusSqrt)
    }

    @Test func invalidSchedulesNameTheField() {
        func field(_ s: Schedule) -> String? {
            do { try s.validate(); return nil } catch let TrainingError.invalidConfiguration(f, _) { return f } catch {
                return "?"
            }
        }
        #expect(field(.wsd(peak: 1e-3, warmup: 10, totalSteps: 20, cooldownSteps: 15)) == "cooldown_steps")
        #expect(field(.wsd(peak: 1e-3, totalSteps: 20, cooldownSteps: 0)) == "cooldown_steps")
        #expect(field(.cosine(peak: 1e-3, warmup: 10, totalSteps: 10)) == "total_steps")
        #expect(field(.constant(peak: -1)) == "learning_rate")
        #expect(field(.cosine(peak: 1e-3, totalSteps: 10, finalFraction: 2)) == "final_fraction")
        #expect(throws: TrainingError.self) {
            try Schedule.cooldown(branchingFrom: .constant(peak: 1, warmup: 10), atStep: 5, length: 3)
        }
        #expect(throws: TrainingError.self) {
            try Schedule.cooldown(branchingFrom: .cosine(peak: 1, totalSteps: 10), atStep: 5, length: 3)
        }
    }

    /// Schedules survive a JSON round trip (they are stored in checkpoints).
    @Test func codableRoundTrip() throws {
        let s = Schedule.wsd(peak: 3e-4, warmup: 5, totalSteps: 100, cooldownSteps: 20, shape: .square, finalFraction: 0.1)
        let back = try JSONDecoder().decode(Schedule.self, from: JSONEncoder().encode(s))
        #expect(back == s)
    }
}
