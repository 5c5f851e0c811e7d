#!/usr/bin/env python3
"""A small HTTP file server on 127.0.0.1 for the `spoolctl weights pull` tests: it serves the files of a folder
at /models/NAME,
answers range requests (206), and can misbehave on purpose.

    python weights_server.py DIR [--cut-first N] [--ignore-range]

Prints the port it listens on (one line), then serves until killed. Every request is logged to DIR/../requests.log
as "PATH RANGE STATUS BYTES_SENT".

--cut-first N   the first request of each file announces the whole length but sends N bytes and closes the
                connection (a cut download); later requests are served properly.
--ignore-range  answers every request with the whole file (200), as servers without range support do.
Used only by the tests, never by Spool.
"""
import argparse
import http.server
import os
import socketserver
import threading

args = None
served = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def log(self, range_header, status, sent):
        with open(os.path.join(os.path.dirname(os.path.abspath(args.dir)), "requests.log"), "a") as f:
            f.write(f"{self.path} {range_header or '-'} {status} {sent}\n")

    def do_GET(self):
        name = self.path[len("/models/"):] if self.path.startswith("/models/") else ""
        path = os.path.join(args.dir, name)
        range_header = self.headers.get("Range")
        if not name or "/" in name or not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.log(range_header, 404, 0)
            return
        data = open(path, "rb").read()
        start = 0
        status = 200
        if range_header and not args.ignore_range and range_header.startswith("bytes="):
            start = int(range_header[len("bytes="):].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.log(range_header, 416, 0)
                return
            status = 206
        body = data[start:]
        with lock:
            cut = args.cut_first is not None and name not in served
            served.add(name)
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if cut:
            self.wfile.write(body[: args.cut_first])
            self.wfile.flush()
            self.log(range_header, status, min(len(body), args.cut_first))
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)
        self.log(range_header, status, len(body))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--cut-first", type=int)
    p.add_argument("--ignore-range", action="store_true")
    args = p.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    os.close(1)  # the reader waits for the end of this output, not for the server
    server.serve_forever()


if __name__ == "__main__":
    main()
