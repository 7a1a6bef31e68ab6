import TensorCore

/// Outputs of one block's calls on one input, kept between runs of that block.
///
/// The true-sequential calibration loop runs a block once per group of linears (q/k/v, then o,
/// then gate/up, then down) and once more for its output. A call whose weights are final (solved
/// in an earlier group) and whose input is unchanged gives the same output every time, so the
/// tape records it once and replays it afterwards; and a call whose output only feeds a replayed
/// call is skipped. Each run then computes only the group's own calls, and the whole sequence
/// costs about one block forward instead of one per group.
///
/// A *call* is one `linears` call (the linears sharing an input, e.g. q/k/v) or one `attend`
/// call, numbered in the order the block makes them. Dataflow assumed, and checked by the
/// calibration tests of every token architecture: the linear calls directly before an attention
/// call feed only that attention, and an attention's output feeds only the next call.
public struct BlockTape: Sendable {
  /// What a call does in a run.
  public enum Action: Sendable, Equatable {
    /// Computes its output (and shows its input to the observer).
    case compute
    /// Computes its output and keeps it for later runs.
    case record
    /// Returns the kept output.
    case replay
    /// Returns zeros: nothing in this run reads its output.
    case skip
  }

  /// One call of the block.
  public enum Call: Sendable, Equatable {
    /// A `linears` call with the weight names (`<prefix>.weight`) it applies.
    case linears([String])
    /// An `attend` call.
    case attention
  }

  /// The block's calls in order, learned from the first run with this tape.
  public private(set) var calls: [Call] = []
  /// Kept outputs by call index.
  private var outputs: [Int: [Tensor]] = [:]
  /// The action of each call index in the next run; calls beyond it compute.
  private var actions: [Action] = []

  /// An empty tape: the next run computes everything and learns the calls.
  public init() {}

  /// Bytes of the kept outputs.
  public var byteCount: Int { outputs.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count * 4 } } }

  /// Sets up the next run: the calls before `firstOpen` have final weights and an unchanged
  /// input, the calls from `firstOpen` on compute. Outputs no run will read again are dropped.
  /// Before the first run the calls are unknown and everything computes.
  public mutating func prepare(firstOpen: Int) {
    actions = Self.actions(calls: calls, firstOpen: firstOpen, kept: Set(outputs.keys))
    for (index, action) in actions.enumerated() where action == .skip { outputs[index] = nil }
  }

  /// The actions of one run (see `prepare(firstOpen:)`), given which call outputs are `kept`.
  ///
  /// Decided backwards from `firstOpen`: a final linear call is replayed if kept, else recorded;
  /// a final attention is recorded (or replayed) while its consumer is open, computed only when
  /// its consumer is final but not yet kept, and skipped once the consumer is kept; the linear
  /// calls feeding an attention compute exactly when it does, and are never kept.
  public static func actions(calls: [Call], firstOpen: Int, kept: Set<Int>) -> [Action] {
    var actions = [Action](repeating: .compute, count: calls.count)
    var feeding: Bool? = nil  // in a run of linear calls before an attention: whether it computes
    for i in stride(from: min(firstOpen, calls.count) - 1, through: 0, by: -1) {
      switch calls[i] {
      case .attention:
        let consumer = i + 1
        if consumer >= firstOpen || consumer == calls.count {
          actions[i] = kept.contains(i) ? .replay : .record
        } else if actions[consumer] == .replay || actions[consumer] == .skip {
          actions[i] = .skip
        } else {
          actions[i] = kept.contains(i) ? .replay : .compute
        }
        feeding = actions[i] == .compute || actions[i] == .record
      case .linears:
        if let computes = feeding {
          actions[i] = computes ? .compute : .skip
        } else {
          actions[i] = kept.contains(i) ? .replay : .record
        }
      }
    }
    return actions
  }

  /// The action of call `index` in the current run, learning the call when it is new.
  mutating func begin(_ index: Int, call: Call) -> Action {
    if index == calls.count { calls.append(call) }
    precondition(calls[index] == call, "BlockTape: call \(index) is \(call), recorded as \(calls[index])")
    return index < actions.count ? actions[index] : .compute
  }

  /// The kept output of call `index`.
  func replay(_ index: Int) -> [Tensor] {
    guard let output = outputs[index] else { preconditionFailure("BlockTape: call \(index) has no kept output") }
    return output
  }

  /// Keeps the output of call `index`.
  mutating func keep(_ index: Int, _ output: [Tensor]) { outputs[index] = output }
}
