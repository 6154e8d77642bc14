import Foundation

/// Folders for the files tests write. They all sit in one folder per test process, which is
/// removed when the process exits, whether its tests passed, failed or threw.
public enum ScratchFolder {
    private static let root: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gridsim-tests-\(UUID().uuidString)")
        atexit { try? FileManager.default.removeItem(at: ScratchFolder.root) }
        return root
    }()

    /// A new, empty folder (safe to call from tests running in parallel).
    public static func make() throws -> URL {
        let folder = root.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A file called `name` holding `text`, in a new folder of its own.
    public static func file(_ name: String, containing text: String) throws -> URL {
        let url = try make().appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}
