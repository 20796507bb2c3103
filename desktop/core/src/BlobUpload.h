#pragma once

// appendBlob's transport: one HTTP/1.1 request with a streamed body, written straight to a QTcpSocket
// (or a QSslSocket for https) owned by the calling thread, and its answer read back.
//
// Why not QNetworkAccessManager: it pulls a sequential upload device in pieces of at most 16 KiB, each
// one a round trip between the caller's thread and Qt's internal HTTP thread, which caps an upload far
// below the speed of the encryption feeding it. Here the body is read in pieces of 1 MiB and handed to
// the socket in the same thread, with at most a few MiB queued (back-pressure), so memory stays flat.
//
// The caller builds the request head (request line and headers, Connection: close); this class sends
// it and the body, runs a local event loop until the answer is complete or the exchange fails, and
// parses the answer strictly and within fixed bounds. It never follows redirects, never retries, and
// logs nothing (the head carries a bearer token).

#include <QByteArray>
#include <QByteArrayView>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QIODevice>
#include <QString>
#include <QUrl>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

class QSslSocket;
class QTcpSocket;

namespace ots::client {

class CancelToken;

class BlobUpload {
public:
    struct Request {
        QUrl baseUrl;    ///< http(s)://host[:port]: where to connect, TLS for https
        QByteArray head; ///< the request line and headers, ending with the empty line
        QIODevice* body = nullptr;
        std::uint64_t length = 0;                     ///< body bytes to send (the head's Content-Length)
        std::chrono::milliseconds idleTimeout{30000}; ///< nothing moving for this long = failure
        const CancelToken* cancel = nullptr;
        const std::function<void(std::uint64_t)>* progress = nullptr; ///< body bytes sent so far
    };

    enum class Failure {
        None,
        Cancelled,
        TimedOut,          ///< nothing moved for idleTimeout
        ConnectionRefused, ///< nothing listens there; nothing was sent
        HostNotFound,
        ConnectionLost, ///< closed or reset before a whole answer arrived
        Tls,            ///< the TLS handshake failed (detail says why)
        Proxy,
        NotHttp,        ///< the answer is not HTTP/1.x
        AnswerTooLarge, ///< the answer's head or body is beyond the bounds of the API's answers
        BodyUnreadable, ///< the body device failed or ended before `length` bytes
    };

    struct Result {
        Failure failure = Failure::None;
        int status = 0;
        QByteArray body;
        QByteArray uploadOffset; ///< the Upload-Offset header (repeated headers joined with ", ")
        QByteArray retryAfter;
        QString detail; ///< for Tls and BodyUnreadable: what exactly went wrong, for a person
    };

    /// The most an answer's head or body may hold: the API's answers to a PATCH are a few hundred bytes.
    static constexpr qsizetype kMaxAnswerPart = qsizetype{64} * 1024;

    explicit BlobUpload(Request request);
    ~BlobUpload();
    BlobUpload(const BlobUpload&) = delete;
    BlobUpload& operator=(const BlobUpload&) = delete;

    /// Sends the request and waits for the answer; call once.
    [[nodiscard]] Result run();

    enum class Parse { NeedMore, Complete, NotHttp, TooLarge };
    /// Reads the answer received so far (`closed`: nothing more will come), strictly and within the
    /// bounds above; on Complete, result's status, headers and body are set. Pure: no socket, so
    /// tests/fuzz/fuzz_client_json.cpp feeds it anything.
    [[nodiscard]] static Parse parseAnswer(QByteArrayView answer, bool closed, Result& result);

private:
    void startConnection();
    void onConnected();
    void onBytesWritten(qint64 bytes);
    void onSocketFailure(int socketError);
    void onReadable();
    void onTick();
    /// Hands body pieces to the socket while fewer than a few MiB are queued.
    void pump();
    void settle(Parse parsed, bool closed);
    void finish(Failure failure, QString detail = {});
    [[nodiscard]] qint64 queuedBytes() const;

    Request m_request;
    QEventLoop m_loop;
    std::unique_ptr<QTcpSocket> m_socket;
    QSslSocket* m_tls = nullptr; ///< m_socket itself for https
    QElapsedTimer m_idle;        ///< since bytes last moved either way
    bool m_connected = false;    ///< connected, and for https encrypted
    bool m_bodyEnded = false;    ///< the device signalled readChannelFinished
    bool m_done = false;
    std::uint64_t m_queued = 0;   ///< body bytes handed to the socket
    qint64 m_written = 0;         ///< head and body bytes the socket has written
    std::uint64_t m_reported = 0; ///< body bytes last passed to progress
    QString m_tlsProblem;
    QByteArray m_answer; ///< the answer's raw bytes as they arrived
    Result m_result;
    /// Body pieces, reused once the socket has let go of them (it keeps a reference to a written
    /// QByteArray until its bytes are out). A fresh 1 MiB buffer per piece cost the uploading thread a
    /// page fault every 4 KiB, as much time as copying the bytes. Two more than fit in the queue.
    std::array<QByteArray, 6> m_pieces;
    std::size_t m_nextPiece = 0;
};

} // namespace ots::client
