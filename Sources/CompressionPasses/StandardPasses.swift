import Compression

extension PassRegistry {
  /// Every pass this package provides.
  public static let standard = PassRegistry([RoundToNearestPass.self, GPTQPass.self, PrunePass.self, LowRankPass.self, BinarizePass.self, CastPass.self])
}
