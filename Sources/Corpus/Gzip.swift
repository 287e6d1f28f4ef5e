import CZlib
import Foundation

/// gzip decompression through the system zlib (the dictd `.dict.dz` files are dictzip, a gzip-compatible format;
/// man pages are gzipped). zlib is linked as a system library (`CZlib`): in-process and fast, unlike
/// spawning `gzip -dc` once per file for ~20k man pages.
public enum Gzip {
    /// True when `bytes` starts with the gzip magic number 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// Decompresses a gzip stream (all concatenated members); `path` only names the file in errors.
    public static func decompress(_ input: [UInt8], path: String) throws -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(input.count * 4)
        var offset = 0
        while offset < input.count {
            var stream = z_stream()
            // windowBits 15 + 16: gzip wrapper only.
            guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw CorpusError.unreadable(path: path, reason: "zlib initialisation failed")
            }
            defer { inflateEnd(&stream) }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            var status: Int32 = Z_OK
            try input.withUnsafeBufferPointer { inBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + offset)
                stream.avail_in = UInt32(input.count - offset)
                repeat {
                    let produced: Int = chunk.withUnsafeMutableBufferPointer { outBuf in
                        stream.next_out = outBuf.baseAddress
                        stream.avail_out = UInt32(outBuf.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        return outBuf.count - Int(stream.avail_out)
                    }
                    guard status == Z_OK || status == Z_STREAM_END else {
                        throw CorpusError.unreadable(path: path, reason: "corrupt gzip data (zlib status \(status))")
                    }
                    output.append(contentsOf: chunk[0..<produced])
                    if status == Z_OK && stream.avail_in == 0 && produced == 0 {
                        throw CorpusError.unreadable(path: path, reason: "truncated gzip data")
                    }
                } while status != Z_STREAM_END
                offset = input.count - Int(stream.avail_in)
            }
            // Trailing zero padding after the last member is allowed.
            if input[offset...].allSatisfy({ $0 == 0 }) { break }
        }
        return output
    }

    /// Reads a file, decompressing it when it is gzip, else returning its bytes as they are.
    public static func readMaybeCompressed(_ url: URL) throws -> [UInt8] {
        let raw = try readFileBytes(url)
        return isGzip(raw) ? try decompress(raw, path: url.path) : raw
    }
}

/// Reads a whole file as bytes, mapping failures to one-line `CorpusError.unreadable`.
public func readFileBytes(_ url: URL) throws -> [UInt8] {
    do {
        return [UInt8](try Data(contentsOf: url))
    } catch {
        let reason = FileManager.default.fileExists(atPath: url.path) ? "permission denied or not a regular file" : "no such file"
        throw CorpusError.unreadable(path: url.path, reason: reason)
    }
}
