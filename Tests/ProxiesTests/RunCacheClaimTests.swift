import Foundation
import Testing
import TestSupport
import Proxies

/// The run cache's fingerprint claim is atomic: of many claimants racing on a fresh folder exactly one
/// fingerprint wins, every claimant of it succeeds, every other is refused, and proxy.txt is the winner's.
@Suite struct RunCacheClaimTests {
    @Test func concurrentClaimsHaveOneWinner() throws {
        let tmp = try TempDir()
        for trial in 0..<20 {
            let folder = tmp.path("c\(trial)")
            let fingerprints = (0..<8).map { "proxy seed \($0 % 4)" }  // 4 fingerprints, 2 claimants each
            final class Box: @unchecked Sendable { var ok = [Bool](repeating: false, count: 8); let lock = NSLock() }
            let box = Box()
            DispatchQueue.concurrentPerform(iterations: 8) { i in
                let ok = (try? RunCache(folder: folder, recordsIn: "runs").claim(fingerprint: fingerprints[i])) != nil
                box.lock.lock(); box.ok[i] = ok; box.lock.unlock()
            }
            let text = try String(contentsOf: folder.appendingPathComponent("proxy.txt"), encoding: .utf8)
            let winners = Set(fingerprints.indices.filter { box.ok[$0] }.map { fingerprints[$0] })
            #expect(winners.count == 1, "trial \(trial): \(box.ok)")
            #expect(winners.first.map { $0 + "\n" } == text)
            for i in fingerprints.indices { #expect(box.ok[i] == (fingerprints[i] + "\n" == text)) }
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            #expect(names == ["proxy.txt", "runs"], "no temporary claim file is left: \(names)")
        }
    }
}
