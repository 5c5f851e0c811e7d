import Foundation

/// Reads an image's width and height from its header, without decoding it: PNG (IHDR), JPEG (the SOF
/// segment, turned by the EXIF orientation as decoders turn the image) and BMP. Used to fill
/// `image_details` and to size images that a JSONL line does not describe.
public enum ImageHeaderReader {
    /// The displayed size, or nil for other formats and for files whose header is not what it claims.
    public static func size(of url: URL) -> (width: Int, height: Int)? {
        // Mapped: only the pages holding the header are read, however large the file.
        guard let data = try? Data(contentsOf: url, options: .alwaysMapped) else { return nil }
        return size(in: data)
    }

    /// The displayed size of the image whose bytes begin `data`, or nil.
    public static func size(in data: Data) -> (width: Int, height: Int)? {
        let bytes = [UInt8](data.prefix(2))
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return png(data) }
        if bytes == [0xFF, 0xD8] { return jpeg(data) }
        if bytes == [0x42, 0x4D] { return bmp(data) }
        return nil
    }

    private static func png(_ data: Data) -> (width: Int, height: Int)? {
        guard data.count >= 24, data.bigEndian(UInt32.self, at: 12) == 0x4948_4452 /* IHDR */ else { return nil }
        let width = Int(data.bigEndian(UInt32.self, at: 16)), height = Int(data.bigEndian(UInt32.self, at: 20))
        return width > 0 && height > 0 ? (width, height) : nil
    }

    /// Walks the segments up to the first start-of-frame (SOF0-SOF15 but DHT, JPG, DAC), noting the
    /// EXIF orientation on the way: orientations 5-8 turn the image by 90 degrees.
    private static func jpeg(_ data: Data) -> (width: Int, height: Int)? {
        var offset = 2
        var quarterTurn = false
        while offset + 4 <= data.count {
            guard data.byte(at: offset) == 0xFF else { return nil }
            let marker = data.byte(at: offset + 1)
            if marker == 0xFF { offset += 1; continue }  // fill byte
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { offset += 2; continue }  // no length
            if marker == 0xD9 || marker == 0xDA { return nil }  // end of image, or scan before any frame
            let length = Int(data.bigEndian(UInt16.self, at: offset + 2))
            guard length >= 2 else { return nil }
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                guard offset + 9 <= data.count else { return nil }
                let height = Int(data.bigEndian(UInt16.self, at: offset + 5))
                let width = Int(data.bigEndian(UInt16.self, at: offset + 7))
                guard width > 0, height > 0 else { return nil }
                return quarterTurn ? (height, width) : (width, height)
            }
            if marker == 0xE1, let orientation = exifOrientation(data, segment: offset + 4, length: length - 2) {
                quarterTurn = (5...8).contains(orientation)
            }
            offset += 2 + length
        }
        return nil
    }

    /// The orientation tag (0x0112) of IFD0 in an APP1 `Exif\0\0` segment, or nil.
    private static func exifOrientation(_ data: Data, segment start: Int, length: Int) -> Int? {
        let end = min(start + length, data.count)
        guard end - start >= 14, data[(data.startIndex + start)..<(data.startIndex + start + 6)].elementsEqual("Exif\0\0".utf8) else { return nil }
        let tiff = start + 6
        let little: Bool
        switch (data.byte(at: tiff), data.byte(at: tiff + 1)) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at + 2 <= end else { return nil }
            let value = data.bigEndian(UInt16.self, at: at)
            return Int(little ? value.byteSwapped : value)
        }
        func u32(_ at: Int) -> Int? {
            guard at + 4 <= end else { return nil }
            let value = data.bigEndian(UInt32.self, at: at)
            return Int(little ? value.byteSwapped : value)
        }
        guard let ifd = u32(tiff + 4), let count = u16(tiff + ifd) else { return nil }
        for index in 0..<count {
            let entry = tiff + ifd + 2 + index * 12
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 { return u16(entry + 8) }
        }
        return nil
    }

    /// BITMAPINFOHEADER and later (32-bit size, a negative height for top-down rows), or the old
    /// BITMAPCOREHEADER (16-bit size).
    private static func bmp(_ data: Data) -> (width: Int, height: Int)? {
        guard data.count >= 26 else { return nil }
        let headerSize = data.bigEndian(UInt32.self, at: 14).byteSwapped
        let width: Int, height: Int
        if headerSize == 12 {
            width = Int(data.bigEndian(UInt16.self, at: 18).byteSwapped)
            height = Int(data.bigEndian(UInt16.self, at: 20).byteSwapped)
        } else {
            width = Int(Int32(bitPattern: data.bigEndian(UInt32.self, at: 18).byteSwapped))
            height = abs(Int(Int32(bitPattern: data.bigEndian(UInt32.self, at: 22).byteSwapped)))
        }
        return width > 0 && height > 0 ? (width, height) : nil
    }
}

extension Data {
    /// The byte `at` bytes from the start (whatever the data's own start index).
    fileprivate func byte(at offset: Int) -> UInt8 {
        self[startIndex + offset]
    }

    /// The big-endian integer starting `at` bytes from the start; the caller checks the bounds.
    fileprivate func bigEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        for index in 0..<MemoryLayout<T>.size {
            value = (value << 8) | T(self[startIndex + offset + index])
        }
        return value
    }
}
