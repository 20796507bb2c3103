// A streaming ZIP writer for the browser receiver (SPEC.md §11.3): stored entries (method 0), each
// with a data descriptor (flag bit 3) so its content passes through as it is decrypted, names in
// UTF-8 (flag bit 11), ZIP64 records exactly where a size, an offset or the entry count needs them,
// and totalSize(), the exact length of the archive before its first byte (the download's
// Content-Length). Memory: one small record per entry for the central directory. No DOM.
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.OtsZip = api;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  const LOCAL_HEADER = 0x04034b50;
  const DATA_DESCRIPTOR = 0x08074b50;
  const CENTRAL_HEADER = 0x02014b50;
  const ZIP64_END = 0x06064b50;
  const ZIP64_LOCATOR = 0x07064b50;
  const END = 0x06054b50;
  const LOCAL_HEADER_BYTES = 30;
  const CENTRAL_HEADER_BYTES = 46;
  const ZIP64_END_BYTES = 56;
  const ZIP64_LOCATOR_BYTES = 20;
  const END_BYTES = 22;
  const LIMIT_32 = 0xffffffff; // a size or offset that reaches this needs ZIP64
  const LIMIT_16 = 0xffff; // so does an entry count that reaches this
  const FLAGS = 0x0808; // bit 3: data descriptor; bit 11: UTF-8 names
  const VERSION_ZIP64 = 45;
  const VERSION_PLAIN = 20;
  const MADE_BY_UNIX = 3 << 8;
  // Unix file-type and permission bits in the high half of the external attributes: a regular file
  // 0644, a folder 0755 (with the MS-DOS folder bit). The sender's own modes are not carried.
  const FILE_ATTRIBUTES = 0o100644 * 0x10000;
  const FOLDER_ATTRIBUTES = 0o040755 * 0x10000 + 0x10;
  const DOS_EPOCH = { time: 0, date: (1 << 5) | 1 }; // 1980-01-01 00:00:00

  class ZipError extends Error {
    constructor(code, message) {
      super(message || code);
      this.name = 'ZipError';
      this.code = code;
    }
  }

  // CRC-32 (IEEE 802.3, reflected 0xEDB88320), slicing by 8: eight bytes per step from eight tables.
  const CRC_TABLE = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    CRC_TABLE[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = CRC_TABLE[n];
    for (let t = 1; t < 8; t++) {
      c = CRC_TABLE[c & 0xff] ^ (c >>> 8);
      CRC_TABLE[t * 256 + n] = c;
    }
  }

  // Continues a CRC-32 (pass 0 to start) over bytes; returns it as an unsigned 32-bit number.
  function crc32(crc, bytes) {
    const T = CRC_TABLE;
    let c = ~crc;
    let i = 0;
    const length = bytes.length;
    const fast = length - (length & 7);
    for (; i < fast; i += 8) {
      c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
      c =
        T[1792 + (c & 0xff)] ^
        T[1536 + ((c >>> 8) & 0xff)] ^
        T[1280 + ((c >>> 16) & 0xff)] ^
        T[1024 + (c >>> 24)] ^
        T[768 + bytes[i + 4]] ^
        T[512 + bytes[i + 5]] ^
        T[256 + bytes[i + 6]] ^
        T[bytes[i + 7]];
    }
    for (; i < length; i++) c = T[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return ~c >>> 0;
  }

  // MS-DOS date and time of a Unix time in UTC; outside 1980-01-01 … 2107-12-31, 1980-01-01 00:00.
  function dosTime(mtime) {
    const date = new Date(Number(mtime) * 1000);
    const year = date.getUTCFullYear();
    if (!Number.isFinite(Number(mtime)) || Number.isNaN(year) || year < 1980 || year > 2107) return DOS_EPOCH;
    return {
      time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1),
      date: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
    };
  }

  const encoder = new TextEncoder();

  function nameOf(entry) {
    if (typeof entry.path !== 'string' || entry.path.length === 0) throw new ZipError('zip.bad_entry', 'an entry has no path');
    const name = encoder.encode(entry.folder ? entry.path + '/' : entry.path);
    if (name.length > LIMIT_16) throw new ZipError('zip.bad_entry', 'an entry name is longer than 65535 bytes');
    return name;
  }

  function sizeOf(entry) {
    const size = entry.folder ? 0 : entry.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new ZipError('zip.bad_entry', 'an entry has no valid size');
    if (entry.folder && entry.size) throw new ZipError('zip.bad_entry', 'a folder has no content');
    return size;
  }

  // The byte counts of one entry, shared by the writer and totalSize() so the two cannot disagree.
  function layoutOf(nameBytes, size, offset) {
    const zip64Size = size >= LIMIT_32;
    const zip64Offset = offset >= LIMIT_32;
    const centralExtra = (zip64Size ? 16 : 0) + (zip64Offset ? 8 : 0);
    return {
      zip64Size,
      zip64Offset,
      local: LOCAL_HEADER_BYTES + nameBytes + (zip64Size ? 20 : 0),
      descriptor: zip64Size ? 24 : 16,
      centralExtra,
      central: CENTRAL_HEADER_BYTES + nameBytes + (centralExtra > 0 ? 4 + centralExtra : 0),
    };
  }

  function needsZip64End(count, centralSize, centralOffset) {
    return count >= LIMIT_16 || centralSize >= LIMIT_32 || centralOffset >= LIMIT_32;
  }

  function endBytes(count, centralSize, centralOffset) {
    return (needsZip64End(count, centralSize, centralOffset) ? ZIP64_END_BYTES + ZIP64_LOCATOR_BYTES : 0) + END_BYTES;
  }

  class Writer {
    constructor(length) {
      this.bytes = new Uint8Array(length);
      this.view = new DataView(this.bytes.buffer);
      this.at = 0;
    }
    u16(value) {
      this.view.setUint16(this.at, value, true);
      this.at += 2;
    }
    u32(value) {
      this.view.setUint32(this.at, value, true);
      this.at += 4;
    }
    u64(value) {
      this.view.setUint32(this.at, value % 0x100000000, true);
      this.view.setUint32(this.at + 4, Math.floor(value / 0x100000000), true);
      this.at += 8;
    }
    raw(bytes) {
      this.bytes.set(bytes, this.at);
      this.at += bytes.length;
    }
  }

  class ZipWriter {
    constructor() {
      this._offset = 0; // bytes produced so far
      this._entries = []; // what the central directory needs, one record per entry
      this._current = null;
      this._finished = false;
    }

    get offset() {
      return this._offset;
    }

    // The local header of an entry {path, folder, size, mtime}; its content follows through data().
    begin(entry) {
      if (this._finished) throw new ZipError('zip.state', 'the archive is finished');
      if (this._current) throw new ZipError('zip.state', 'the previous entry is not ended');
      const name = nameOf(entry);
      const size = sizeOf(entry);
      const layout = layoutOf(name.length, size, this._offset);
      const time = dosTime(entry.mtime);
      const record = { name, size, offset: this._offset, layout, time, folder: !!entry.folder, crc: 0, written: 0 };
      const w = new Writer(layout.local);
      w.u32(LOCAL_HEADER);
      w.u16(layout.zip64Size ? VERSION_ZIP64 : VERSION_PLAIN);
      w.u16(FLAGS);
      w.u16(0); // stored
      w.u16(time.time);
      w.u16(time.date);
      w.u32(0); // CRC-32 and sizes follow in the data descriptor (bit 3)
      w.u32(layout.zip64Size ? LIMIT_32 : 0);
      w.u32(layout.zip64Size ? LIMIT_32 : 0);
      w.u16(name.length);
      w.u16(layout.zip64Size ? 20 : 0);
      w.raw(name);
      if (layout.zip64Size) {
        w.u16(0x0001); // ZIP64 extended information: both sizes, zero here as bit 3 says
        w.u16(16);
        w.u64(0);
        w.u64(0);
      }
      this._current = record;
      this._offset += layout.local;
      return w.bytes;
    }

    // Content of the current file entry, in order; returned as it is (no copy).
    data(bytes) {
      const record = this._current;
      if (!record) throw new ZipError('zip.state', 'no entry is open');
      if (record.written + bytes.length > record.size)
        throw new ZipError('zip.size_mismatch', 'more content than the entry announced');
      record.crc = crc32(record.crc, bytes);
      record.written += bytes.length;
      this._offset += bytes.length;
      return bytes;
    }

    // The data descriptor of the current entry; its content must have had exactly the announced size.
    endEntry() {
      const record = this._current;
      if (!record) throw new ZipError('zip.state', 'no entry is open');
      if (record.written !== record.size) throw new ZipError('zip.size_mismatch', 'less content than the entry announced');
      const w = new Writer(record.layout.descriptor);
      w.u32(DATA_DESCRIPTOR);
      w.u32(record.crc);
      if (record.layout.zip64Size) {
        w.u64(record.size);
        w.u64(record.size);
      } else {
        w.u32(record.size);
        w.u32(record.size);
      }
      this._entries.push(record);
      this._current = null;
      this._offset += record.layout.descriptor;
      return w.bytes;
    }

    // The central directory, the ZIP64 end records when needed, and the end of central directory.
    finish() {
      if (this._finished) throw new ZipError('zip.state', 'the archive is finished');
      if (this._current) throw new ZipError('zip.state', 'the last entry is not ended');
      const centralOffset = this._offset;
      let centralSize = 0;
      for (const record of this._entries) centralSize += record.layout.central;
      const count = this._entries.length;
      const zip64End = needsZip64End(count, centralSize, centralOffset);
      const w = new Writer(centralSize + endBytes(count, centralSize, centralOffset));
      for (const record of this._entries) {
        const layout = record.layout;
        w.u32(CENTRAL_HEADER);
        w.u16(MADE_BY_UNIX | (layout.centralExtra > 0 ? VERSION_ZIP64 : VERSION_PLAIN));
        w.u16(layout.zip64Size ? VERSION_ZIP64 : VERSION_PLAIN);
        w.u16(FLAGS);
        w.u16(0);
        w.u16(record.time.time);
        w.u16(record.time.date);
        w.u32(record.crc);
        w.u32(layout.zip64Size ? LIMIT_32 : record.size);
        w.u32(layout.zip64Size ? LIMIT_32 : record.size);
        w.u16(record.name.length);
        w.u16(layout.centralExtra > 0 ? 4 + layout.centralExtra : 0);
        w.u16(0); // comment
        w.u16(0); // disk
        w.u16(0); // internal attributes
        w.u32(record.folder ? FOLDER_ATTRIBUTES : FILE_ATTRIBUTES);
        w.u32(layout.zip64Offset ? LIMIT_32 : record.offset);
        w.raw(record.name);
        if (layout.centralExtra > 0) {
          w.u16(0x0001);
          w.u16(layout.centralExtra);
          if (layout.zip64Size) {
            w.u64(record.size);
            w.u64(record.size);
          }
          if (layout.zip64Offset) w.u64(record.offset);
        }
      }
      if (zip64End) {
        const zip64EndOffset = centralOffset + centralSize;
        w.u32(ZIP64_END);
        w.u64(ZIP64_END_BYTES - 12);
        w.u16(MADE_BY_UNIX | VERSION_ZIP64);
        w.u16(VERSION_ZIP64);
        w.u32(0);
        w.u32(0);
        w.u64(count);
        w.u64(count);
        w.u64(centralSize);
        w.u64(centralOffset);
        w.u32(ZIP64_LOCATOR);
        w.u32(0);
        w.u64(zip64EndOffset);
        w.u32(1);
      }
      w.u32(END);
      w.u16(0);
      w.u16(0);
      w.u16(Math.min(count, LIMIT_16));
      w.u16(Math.min(count, LIMIT_16));
      w.u32(Math.min(centralSize, LIMIT_32));
      w.u32(Math.min(centralOffset, LIMIT_32));
      w.u16(0);
      this._finished = true;
      this._entries = [];
      this._offset += w.bytes.length;
      return w.bytes;
    }

    // The exact length of the archive this writer produces for these entries, in this order.
    static totalSize(entries) {
      let offset = 0;
      let centralSize = 0;
      let count = 0;
      for (const entry of entries) {
        const name = nameOf(entry);
        const size = sizeOf(entry);
        const layout = layoutOf(name.length, size, offset);
        offset += layout.local + size + layout.descriptor;
        centralSize += layout.central;
        ++count;
      }
      return offset + centralSize + endBytes(count, centralSize, offset);
    }
  }

  return { ZipWriter, ZipError, crc32, dosTime };
});
