import Base
import Foundation
import Transformer

/// The trainer's random-number generator, Base's xoshiro256**. Batch sources draw from it (sampling, shuffling,
/// dynamic masking), so its four state words are saved in every checkpoint: a resumed run draws exactly the
/// numbers the uninterrupted run would.
public typealias TrainingRNG = Xoshiro256StarStar

/// Where training micro-batches come from. The data layer conforms to this; `Training` never imports it.
///
/// Determinism contract: `nextBatch(using:)` must be a pure function of the source's own state and
/// the numbers it draws from `rng`, and ``checkpointState()`` / ``restore(checkpointState:)`` must
/// capture that state completely, so a resumed run reads exactly the batches of the uninterrupted one.
public protocol TrainingBatchSource: AnyObject {
    /// The next micro-batch.
    func nextBatch(using rng: inout TrainingRNG) throws -> TokenBatch
    /// The source's position (cursor, epoch, permutation, ...) as opaque bytes.
    func checkpointState() throws -> Data
    /// Returns the source to a position produced by ``checkpointState()``.
    func restore(checkpointState: Data) throws
}

/// A held-out token stream: the same batches, in the same order, every time it is evaluated.
public protocol EvaluationSource: AnyObject {
    /// Calls `body` on every held-out batch.
    func forEachEvaluationBatch(_ body: (TokenBatch) throws -> Void) throws
}

/// A named held-out source; the name becomes the CSV column `val_loss:<name>`.
public struct EvaluationSet {
    public var name: String
    public var source: any EvaluationSource
    public init(name: String, source: any EvaluationSource) { self.name = name; self.source = source }
}

/// A fixed list of batches: as a training source it cycles through them in order (ignoring the
/// RNG; its state is the cursor), as an evaluation source it yields each once.
public final class ArrayBatchSource: TrainingBatchSource, EvaluationSource {
    public let batches: [TokenBatch]
    public private(set) var cursor = 0

    public init(_ batches: [TokenBatch]) throws {
        guard !batches.isEmpty else { throw TrainingError.data("an array batch source needs at least one batch") }
        self.batches = batches
    }

    public func nextBatch(using rng: inout TrainingRNG) throws -> TokenBatch {
        defer { cursor = (cursor + 1) % batches.count }
        return batches[cursor]
    }

    public func checkpointState() throws -> Data { Data(String(cursor).utf8) }

    public func restore(checkpointState: Data) throws {
        guard let c = Int(String(decoding: checkpointState, as: UTF8.self)), (0..<batches.count).contains(c) else {
            throw TrainingError.data("array batch source: checkpoint cursor is not in 0..<\(batches.count)")
        }
        cursor = c
    }

    public func forEachEvaluationBatch(_ body: (TokenBatch) throws -> Void) throws {
        for b in batches { try body(b) }
    }
}
