/// The version of Switchboard, as the CLI's `--version` and the default `User-Agent` show it.
public enum SwitchboardVersion {
    /// The package version.
    public static let current = "0.1.0"
}
