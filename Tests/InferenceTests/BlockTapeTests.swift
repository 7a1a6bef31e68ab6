import CompressionTestSupport
import Testing
import TensorCore

@testable import Inference

/// The tape of the true-sequential loop: which calls replay, record, compute or skip, and that a
/// run through the tape gives the same block output as a plain run.
@Suite struct BlockTapeTests {
  /// A LLaMA block's calls: q/k/v, attention, o, gate/up, down.
  static let llama: [BlockTape.Call] = [.linears(["q", "k", "v"]), .attention, .linears(["o"]), .linears(["gate", "up"]), .linears(["down"])]

  @Test func actionsFollowTheGroupsOfALlamaBlock() {
    typealias A = BlockTape.Action
    // q/k/v open: everything computes.
    #expect(BlockTape.actions(calls: Self.llama, firstOpen: 0, kept: []) == [A](repeating: .compute, count: 5))
    // o open: q/k/v feed the attention, which o still reads → computed; the attention is kept.
    #expect(BlockTape.actions(calls: Self.llama, firstOpen: 2, kept: []) == [.compute, .record, .compute, .compute, .compute])
    // gate/up open: o computes once from the kept attention and is kept; q/k/v skipped.
    #expect(BlockTape.actions(calls: Self.llama, firstOpen: 3, kept: [1]) == [.skip, .replay, .record, .compute, .compute])
    // down open: o replays, so the attention is no longer read; gate/up kept.
    #expect(BlockTape.actions(calls: Self.llama, firstOpen: 4, kept: [1, 2]) == [.skip, .skip, .replay, .record, .compute])
    // the output run: only down computes.
    #expect(BlockTape.actions(calls: Self.llama, firstOpen: 4, kept: [2, 3]) == [.skip, .skip, .replay, .replay, .compute])
    // jumping straight to down (o and gate/up not selected): the attention computes unkept.
    #expect(BlockTape.actions(calls: Self.llama, firstOpen: 4, kept: []) == [.compute, .compute, .record, .record, .compute])
  }

  @Test(arguments: ["llama", "bert", "gpt2"])
  func tapedRunsGiveThePlainOutput(name: String) throws {
    let model = try ModelFolder(path: Fixtures.path("inference/" + name)).loadModel()
    let block = model.blocks[0]
    let input = model.embed(.tokens([[3, 1, 4, 1, 5, 9, 2]]))
    let plain = block(input)
    var tape = BlockTape()
    var none = NoObserver()
    var kept: [Int] = []
    // Open the calls one after another, as the loop does, checking every run's output.
    for firstOpen in 0..<block.linearNames.count + 1 {
      tape.prepare(firstOpen: firstOpen)
      let output = block(input, observer: &none, tape: &tape)
      #expect(output.values == plain.values, "\(name): run with call \(firstOpen) open")
      kept.append(tape.byteCount)
    }
    #expect(tape.calls.filter { $0 == .attention }.count == 1)
    #expect(kept.contains { $0 > 0 }, "\(name): nothing was kept")
  }
}
