import SwitchboardCore

/// What the adapter reads from SQL text a caller wrote: its words outside quotes and comments, how many
/// statements it holds, its leading keyword, and whether it only reads.
struct SQLText: Sendable {
    /// The words of the code (letters, digits, `_`), lower-cased, in order; quoted text and comments left out.
    let words: [Substring]
    /// Whether anything but blanks and comments follows a `;`.
    let hasSeveralStatements: Bool

    init(_ sql: String) {
        var words: [Substring] = []
        var afterSemicolon = false
        var several = false
        ParameterList.scan(sql) { piece, isCode in
            guard isCode else {
                // A quoted string or identifier after a `;` is a second statement; a comment is not.
                if afterSemicolon && !(piece.hasPrefix("--") || piece.hasPrefix("/*")) { several = true }
                return
            }
            let lowered = piece.lowercased()
            var current = ""
            for character in lowered {
                if character == ";" {
                    afterSemicolon = true
                } else if afterSemicolon && !character.isWhitespace {
                    several = true
                }
                if character == "_" || character.isLetter || character.isNumber {
                    current.append(character)
                } else if !current.isEmpty {
                    words.append(Substring(current))
                    current = ""
                }
            }
            if !current.isEmpty { words.append(Substring(current)) }
        }
        self.words = words
        hasSeveralStatements = several
    }

    /// The first keyword (`select`, `update`, ...), or `""`.
    var keyword: Substring { words.first ?? "" }

    /// Keywords that begin a statement which only reads.
    private static let readingKeywords: Set<Substring> = ["select", "with", "show", "explain", "values", "table"]

    /// Words that make a statement change something, wherever they stand (`WITH x AS (DELETE ...)`,
    /// `SELECT ... INTO new_table`, `EXPLAIN ANALYZE UPDATE`, `SELECT nextval(...)`, `SELECT ... FOR UPDATE`).
    private static let changingWords: Set<Substring> = [
        "insert", "update", "delete", "merge", "into", "create", "drop", "alter", "truncate", "copy", "nextval",
        "setval", "set_config", "pg_advisory_lock", "lo_import", "lo_export", "refresh", "attach", "detach",
    ]

    /// Whether the statement only reads: it begins with SELECT, WITH, SHOW, EXPLAIN, VALUES or TABLE and holds
    /// no word that writes. Such a statement is safe to retry, and past `max_rows` it can be refused without
    /// having changed anything. Anything in doubt counts as a write.
    var isReadOnly: Bool {
        guard !hasSeveralStatements, Self.readingKeywords.contains(keyword) else { return false }
        return !words.contains(where: Self.changingWords.contains)
    }

    /// Statements that control the transaction: inside `transaction` they would commit or end it early; in
    /// `execute_query` they would leave a pooled connection inside a transaction.
    private static let transactionControl: Set<Substring> = [
        "begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release",
    ]

    /// The transaction-control keyword the statement begins with (`commit`, `prepare transaction`), or `nil`.
    var transactionControlKeyword: String? {
        if Self.transactionControl.contains(keyword) { return String(keyword) }
        if keyword == "prepare", words.count > 1, words[1] == "transaction" { return "prepare transaction" }
        return nil
    }

    /// Whether the statement attaches or detaches another SQLite database file.
    var attachesDatabase: Bool { keyword == "attach" || keyword == "detach" }

    /// Refuses what no statement given to the adapter may be: several statements in one, transaction control,
    /// and (unless `allowAttach`) SQLite's ATTACH and DETACH.
    /// - Parameter field: how the message names the statement (`query`, `statements[2].query`).
    func check(field: String, insideTransaction: Bool, allowAttach: Bool) throws {
        if hasSeveralStatements {
            throw IntegrationError.invalidInput(
                "\(field) holds more than one statement; send one statement per query (several in order: the transaction operation)"
            )
        }
        if let control = transactionControlKeyword {
            throw IntegrationError.invalidInput(
                insideTransaction
                    ? "\(field) is \(control.uppercased()): the transaction operation begins and commits itself; leave transaction control out"
                    : "\(field) is \(control.uppercased()): transaction control is refused here; use the transaction operation for statements that belong together"
            )
        }
        if attachesDatabase && !allowAttach {
            throw IntegrationError.invalidInput(
                "\(field) is \(keyword.uppercased()), which opens another database file; set allow_attach: true on the service to permit it"
            )
        }
    }
}
