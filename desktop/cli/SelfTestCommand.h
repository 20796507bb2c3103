#pragma once

// `ots selftest [PATH...]`: proves this installation's cryptography on this machine. Runs the
// known-answer tests, then packs and encrypts PATHs (or a generated sample) into a temporary
// ciphertext, decrypts and unpacks it into a temporary folder, and compares every byte.

#include <QStringList>
#include <QTextStream>

class SelfTestCommand {
public:
    SelfTestCommand(QTextStream& out, QTextStream& err)
        : m_out(out)
        , m_err(err) {}
    /// Returns the process exit code.
    [[nodiscard]] int run(const QStringList& paths);

private:
    QTextStream& m_out;
    QTextStream& m_err;
};
