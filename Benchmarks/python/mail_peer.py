"""The Python peers of `SwitchboardBench mail` (standard library only), against the same local Postfix and Dovecot.

  mail_peer.py send PORT SECURITY COUNT SESSIONS  smtplib: COUNT messages of 10 KiB to bob over SESSIONS threads,
                                                  one connection each (security none, or starttls with AUTH)
  mail_peer.py setup FOLDER COUNT                 imaplib: APPEND COUNT messages of 10 KiB to bob's FOLDER
  mail_peer.py fetch FOLDER                       imaplib: every message of FOLDER (UID FETCH BODY.PEEK[] in
                                                  batches of 200), then the same and parsed with email.parser
  mail_peer.py parse DIR                          email.parser (policy.default) over every .eml in DIR
Prints `RESULT key value` lines for scripts/bench-mail.
"""

import email
import email.message
import email.policy
import email.utils
import imaplib
import os
import smtplib
import ssl
import statistics
import sys
import threading
import time

HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
USER = os.environ.get("MAIL_SECOND_USER", "bob@switchboard.test")
PASSWORD = os.environ.get("MAIL_SECOND_PASSWORD", "")
CONTEXT = ssl.create_default_context(cafile=os.environ.get("MAIL_CA_FILE"))


def body_text():
    """The same 10 KiB text as the Swift side: 79-letter lines of a, b, c, ..."""
    out = ""
    index = 0
    while len(out) < 10_240:
        out += chr(97 + index % 26) * 79 + "\n"
        index += 1
    return out[:10_240]


def message(text):
    msg = email.message.EmailMessage()
    msg["From"] = USER
    msg["To"] = USER
    msg["Subject"] = "bench"
    msg["Message-ID"] = email.utils.make_msgid(domain="switchboard.test")
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg.set_content(text)
    return msg


def send(port, security, count, sessions):
    text = body_text()
    per_session = [count // sessions + (1 if i < count % sessions else 0) for i in range(sessions)]
    errors = []

    def worker(n):
        try:
            with smtplib.SMTP(HOST, int(port)) as client:
                if security == "starttls":
                    client.starttls(context=CONTEXT)
                    client.login(USER, PASSWORD)
                for _ in range(n):
                    client.send_message(message(text))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    # Warm up one message per session, as the Swift side does.
    threads = [threading.Thread(target=worker, args=(1,)) for _ in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in per_session]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"smtplib failed: {errors[0]!r}")
    print(f"smtplib send: {count} messages of 10 KiB over {sessions} sessions ({security} on port {port}): {elapsed:.2f} s")
    print(f"RESULT smtplib_{security}_per_s {count / elapsed:.1f}")


def imap():
    client = imaplib.IMAP4(HOST, int(os.environ["IMAP_PORT"]))
    client.starttls(ssl_context=CONTEXT)
    client.login(USER, PASSWORD)
    return client


def setup(folder, count):
    client = imap()
    client.create(folder)
    text = body_text()
    for _ in range(count):
        client.append(folder, None, None, message(text).as_bytes(policy=email.policy.SMTP))
    client.logout()


def fetch_all(folder, parse):
    client = imap()
    client.select(folder, readonly=True)
    _, data = client.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    messages = 0
    for start in range(0, len(uids), 200):
        batch = b",".join(uids[start:start + 200])
        _, parts = client.uid("FETCH", batch, "(UID FLAGS BODY.PEEK[])")
        for part in parts:
            if isinstance(part, tuple):
                messages += 1
                if parse:
                    parsed = email.message_from_bytes(part[1], policy=email.policy.default)
                    body = parsed.get_body(preferencelist=("plain",))
                    if body is not None:
                        body.get_content()
                    for attachment in parsed.iter_attachments():
                        attachment.get_content()
    client.logout()
    return messages


def fetch(folder):
    for parse in (False, True):
        times = []
        count = 0
        for _ in range(5):
            start = time.perf_counter()
            count = fetch_all(folder, parse)
            times.append(time.perf_counter() - start)
        label = "fetch + parse" if parse else "fetch only"
        print(f"imaplib {label}: {count} messages of {folder}: median {statistics.median(times):.3f} s")
        print(f"RESULT imaplib_{'fetch_parse' if parse else 'fetch'}_s {statistics.median(times):.4f}")


def parse(directory):
    names = sorted(n for n in os.listdir(directory) if n.endswith(".eml"))
    messages = []
    for name in names:
        with open(os.path.join(directory, name), "rb") as handle:
            messages.append(handle.read())
    size = sum(len(m) for m in messages)
    rounds = 20
    times = []
    failed = 0
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            for raw in messages:
                try:
                    parsed = email.message_from_bytes(raw, policy=email.policy.default)
                    str(parsed["subject"])
                    body = parsed.get_body(preferencelist=("plain",))
                    if body is not None:
                        body.get_content()
                    html = parsed.get_body(preferencelist=("html",))
                    if html is not None:
                        html.get_content()
                    for attachment in parsed.iter_attachments():
                        attachment.get_content()
                except Exception:  # noqa: BLE001 - counted, as the Swift side counts its unreadable ones
                    failed += 1
        times.append(time.perf_counter() - start)
    elapsed = statistics.median(times)
    print(f"email.parser: {len(messages)} messages ({size} bytes) x {rounds} rounds, median {elapsed:.3f} s, {failed // 5 // rounds} failed")
    print(f"RESULT py_parse_messages_per_s {len(messages) * rounds / elapsed:.0f}")
    print(f"RESULT py_parse_mb_per_s {size * rounds / elapsed / 1e6:.1f}")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "send":
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif command == "setup":
        setup(sys.argv[2], int(sys.argv[3]))
    elif command == "fetch":
        fetch(sys.argv[2])
    elif command == "parse":
        parse(sys.argv[2])
    else:
        raise SystemExit(__doc__)
