# githost.py ROOT PORT CERT KEY - a Git host stand-in for test_webhooks.sh
# (tests only): git's own `git http-backend` behind python's CGI server,
# over TLS on 127.0.0.1:PORT, serving the bare repositories under
# ROOT/repos as https://127.0.0.1:PORT/cgi-bin/git/NAME.git.  The CGI
# script runs through a pipe (have_fork off), so its output goes through
# the TLS layer.
import http.server
import os
import ssl
import sys

root, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


class Handler(http.server.CGIHTTPRequestHandler):
    have_fork = False
    cgi_directories = ["/cgi-bin"]

    def log_message(self, fmt, *args):
        sys.stderr.write("githost: " + (fmt % args) + "\n")


os.chdir(root)
os.environ["GIT_PROJECT_ROOT"] = os.path.join(root, "repos")
os.environ["GIT_HTTP_EXPORT_ALL"] = "1"
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
