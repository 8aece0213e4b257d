#!/usr/bin/env python3
"""tests/tools/registry_server.py — a scripted HTTP server standing in for a
schema registry in the registry client's tests: each path answers what a JSON
file of routes says, and every request is logged, one path per line.

usage: registry_server.py ROUTES.json LOG

ROUTES.json maps a path to {"status": 200, "body": "...", "delay": seconds,
"fail_first": N} (the first N requests of that path answer 503); any other
path answers 404. The server listens on 127.0.0.1 on a free port and prints
that port on the first line of stdout; it runs until killed.
"""
import http.server
import json
import sys
import time


def main():
    routes_file, log_file = sys.argv[1], sys.argv[2]
    with open(routes_file) as f:
        routes = json.load(f)
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            with open(log_file, "a") as log:
                log.write(self.path + "\n")
            route = routes.get(self.path)
            n = seen[self.path] = seen.get(self.path, 0) + 1
            if route is None:
                status, body = 404, '{"error_code":40403,"message":"Schema not found"}'
            elif n <= route.get("fail_first", 0):
                status, body = 503, '{"error_code":50003,"message":"busy"}'
            else:
                time.sleep(route.get("delay", 0))
                status, body = route.get("status", 200), route["body"]
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
