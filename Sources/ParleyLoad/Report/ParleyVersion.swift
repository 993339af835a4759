/// Parley's version, stamped into every report and baseline (and `--version`).
public enum ParleyVersion {
    public static let current = "0.9.0"
}
