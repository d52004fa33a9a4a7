import Crypto
import Foundation
import SwitchboardCore
import SwitchboardHTTP

extension S3Storage {
    // MARK: Upload

    public func upload(
        file source: String,
        to key: String,
        contentType: String?,
        metadata: [String: String],
        progress: ProgressHandler?
    ) async throws -> StoredObject {
        let size = try FileTransfer.regularFileSize(source)
        let fd = try FileTransfer.openForReading(source)
        defer { close(fd) }
        var headers: [(String, String)] = [("Content-Type", contentType ?? ContentType.guess(source))]
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            headers.append(("x-amz-meta-\(name.lowercased())", value))
        }
        if size <= settings.multipartThreshold {
            // Small enough to hold: one read, both hashes, one PUT with Content-MD5, ETag checked.
            let bytes = try await FileTransfer.blocking(bytes: size) {
                try FileTransfer.read(fd, offset: 0, count: Int(size))
            }
            guard bytes.count == size else {
                throw IntegrationError(code: .invalidInput, message: "\(source) changed size while being read")
            }
            let md5 = Insecure.MD5.hash(data: bytes)
            let sha = SHA256.hash(data: bytes)
            headers.append(("Content-MD5", Data(md5).base64EncodedString()))
            let response = try await send(
                "PUT",
                key: key,
                headers: headers,
                body: TransportBody(bytes: bytes),
                payloadHash: SigV4Signer.hex(Array(sha)),
                timeout: .seconds(86_400)
            )
            let etag = Self.etag(response.header("ETag"))
            let expected = SigV4Signer.hex(Array(md5))
            if Self.isMD5(etag), etag.lowercased() != expected {
                throw IntegrationError(
                    code: .serverError,
                    message: "the stored object's ETag \(etag) does not match the file's MD5 \(expected)",
                    transience: .always
                )
            }
            progress?(size, size)
            return StoredObject(key: key, size: size, etag: etag)
        }
        return try await multipartUpload(fd: fd, size: size, key: key, headers: headers, progress: progress)
    }

    func multipartUpload(
        fd: Int32,
        size: Int64,
        key: String,
        headers: [(String, String)],
        progress: ProgressHandler?
    ) async throws -> StoredObject {
        // S3 allows at most 10,000 parts: grow the part size for huge files.
        let partSize = max(settings.partSize, (size + 9_999) / 10_000)
        let partCount = Int((size + partSize - 1) / partSize)
        let initiated = try await send("POST", key: key, query: [("uploads", "")], headers: headers)
        let initiateBody = String(decoding: initiated.body, as: UTF8.self)
        guard let uploadID = XMLTree.parse(initiateBody)?.value("UploadId"), !uploadID.isEmpty else {
            throw IntegrationError(
                code: .serviceError,
                message: "S3 did not return an UploadId for the multipart upload"
            )
        }
        let sent = progress.map { ByteCounter(total: size, handler: $0) }
        do {
            let etags = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                var etags = [String](repeating: "", count: partCount)
                var next = 0
                func start() {
                    let number = next + 1
                    let offset = Int64(next) * partSize
                    let length = min(partSize, size - offset)
                    next += 1
                    group.addTask {
                        (
                            number,
                            try await self.uploadPart(
                                fd: fd,
                                offset: offset,
                                length: length,
                                number: number,
                                key: key,
                                uploadID: uploadID,
                                sent: sent
                            )
                        )
                    }
                }
                while next < min(settings.parallelParts, partCount) { start() }
                while let (number, etag) = try await group.next() {
                    etags[number - 1] = etag
                    if next < partCount { start() }
                }
                return etags
            }
            var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            for (index, etag) in etags.enumerated() {
                xml += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\"\(XMLTree.escape(etag))\"</ETag></Part>"
            }
            xml += "</CompleteMultipartUpload>"
            let body = Array(xml.utf8)
            let completed = try await send(
                "POST",
                key: key,
                query: [("uploadId", uploadID)],
                headers: [("Content-Type", "application/xml")],
                body: TransportBody(bytes: body),
                payloadHash: SigV4Signer.hex(Array(SHA256.hash(data: body))),
                timeout: .seconds(3_600)
            )
            // S3 may answer 200 and still report an error in the body.
            let reply = String(decoding: completed.body, as: UTF8.self)
            let parsed = XMLTree.parse(reply)
            if let parsed, parsed.name == "Error" {
                throw Self.error(status: 500, body: reply, key: key, bucket: settings.bucket, retryAfter: nil)
            }
            var etag = parsed?.value("ETag") ?? ""
            if etag.hasPrefix("\""), etag.hasSuffix("\""), etag.count >= 2 {
                etag = String(etag.dropFirst().dropLast())
            }
            return StoredObject(key: key, size: size, etag: etag)
        } catch {
            // Leave no orphaned parts: abort, even when this task was cancelled.
            let abort = Task {
                _ = try? await self.send("DELETE", key: key, query: [("uploadId", uploadID)], timeout: .seconds(30))
            }
            await abort.value
            throw error
        }
    }

    /// One part: hashed from disk, then streamed from disk with its MD5; retried up to three times
    /// on a transient failure.
    func uploadPart(
        fd: Int32,
        offset: Int64,
        length: Int64,
        number: Int,
        key: String,
        uploadID: String,
        sent: ByteCounter?
    ) async throws -> String {
        // Parts are signed with UNSIGNED-PAYLOAD and carry a signed Content-MD5: the server checks the bytes
        // against it, and one hash pass over the part costs half of two.
        let md5 = try await FileTransfer.blocking { try FileTransfer.md5(fd, offset: offset, length: length) }
        let expected = SigV4Signer.hex(Array(md5))
        var attempt = 0
        while true {
            attempt += 1
            let mark = sent?.mark()
            do {
                let response = try await send(
                    "PUT",
                    key: key,
                    query: [("partNumber", String(number)), ("uploadId", uploadID)],
                    headers: [("Content-MD5", Data(md5).base64EncodedString())],
                    body: .stream(length: length) { FileChunks(fd: fd, offset: offset, length: length, sent: sent) },
                    payloadHash: SigV4Signer.unsignedPayload,
                    timeout: .seconds(3_600)
                )
                let etag = Self.etag(response.header("ETag"))
                if Self.isMD5(etag), etag.lowercased() != expected {
                    throw IntegrationError(
                        code: .serverError,
                        message: "part \(number): ETag \(etag) does not match its MD5 \(expected)",
                        transience: .always
                    )
                }
                return etag.isEmpty ? expected : etag
            } catch let error as IntegrationError where error.transience == .always && attempt < 3 {
                if let mark { sent?.reset(to: mark) }
                try await clock.sleep(until: clock.now + .milliseconds(200 * attempt))
            }
        }
    }
}
