"""A small local server speaking the parts of the Hugging Face Hub's HTTP API that the real `huggingface_hub`
client uses to create repos, commit files (regular uploads only: no LFS, no Xet), read repo info and trees, and
download files, so that pushing and loading are tested end to end offline. Tokens map to users; writes check the
namespace; private repos are hidden from other readers."""

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import yaml

GITATTRIBUTES = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Repo:
    def __init__(self, owner: str, private: bool):
        self.owner, self.private = owner, private
        self.commits: dict[str, dict] = {}
        self.branches: dict[str, str] = {}
        self.commit("main", {".gitattributes": GITATTRIBUTES}, "initial commit", "")

    def commit(self, branch: str, files: dict[str, bytes], title: str, message: str) -> str:
        parent = self.branches.get(branch)
        sha = hashlib.sha1(f"{time.time_ns()}{branch}{title}{len(self.commits)}".encode()).hexdigest()
        self.commits[sha] = {"files": files, "parent": parent, "title": title, "message": message}
        self.branches[branch] = sha
        return sha

    def resolve(self, revision: str) -> str | None:
        return self.branches.get(revision) or (revision if revision in self.commits else None)


class FakeHub:
    """The server; `url` is its endpoint (set HF_ENDPOINT to it), `tokens` maps token -> user name."""

    def __init__(self, tokens: dict[str, str]):
        self.tokens = tokens
        self.repos: dict[str, Repo] = {}
        self.lock = threading.Lock()
        self.log: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeHub":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean; requests are in hub.log
                pass

            def do_GET(self):
                self._dispatch("GET")

            def do_HEAD(self):
                self._dispatch("HEAD")

            def do_POST(self):
                self._dispatch("POST")

            def _dispatch(self, method):
                hub.log.append(f"{method} {self.path} auth={'authorization' in {k.lower() for k in self.headers}}")
                parts = [unquote(p) for p in urlsplit(self.path).path.strip("/").split("/")]
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0)) if method == "POST" else b""
                with hub.lock:
                    try:
                        hub.route(self, method, parts, body)
                    except (KeyError, ValueError) as error:
                        self.reply(400, {"error": str(error)})

            def user(self):
                header = self.headers.get("authorization", "")
                return hub.tokens.get(header.removeprefix("Bearer ").strip()) if header else None

            def reply(self, status, payload=None, headers=None, raw=None):
                data = raw if raw is not None else json.dumps(payload if payload is not None else {}).encode()
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                if raw is None:
                    self.send_header("Content-Type", "application/json")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def error(self, status, code, message):
                self.reply(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message})

        return Handler

    # ---- routing -------------------------------------------------------------------------------------------
    def route(self, h, method, parts, body):
        if parts[:2] == ["api", "whoami-v2"]:
            user = h.user()
            return h.reply(200, {"name": user, "orgs": []}) if user else h.error(401, "", "Invalid credentials")
        if parts[:2] == ["api", "agent-harnesses"]:
            return h.reply(200, {"standardEnvVars": [], "harnesses": {}})
        if parts[:3] == ["api", "repos", "create"]:
            return self.create(h, json.loads(body))
        if parts[:2] == ["api", "validate-yaml"]:
            return self.validate_yaml(h, json.loads(body))
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            return self.api(h, method, f"{parts[2]}/{parts[3]}", parts[4:], body)
        if len(parts) >= 5 and parts[2] == "resolve":
            return self.resolve(h, f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]))
        h.error(404, "EntryNotFound", f"no route for {'/'.join(parts)}")

    def readable(self, h, repo_id):
        repo = self.repos.get(repo_id)
        if repo is None or (repo.private and h.user() != repo.owner):
            h.error(404, "RepoNotFound", f"Repository {repo_id} not found")
            return None
        return repo

    def writable(self, h, repo_id):
        user = h.user()
        if user is None:
            h.error(401, "", "Invalid credentials in Authorization header")
            return None
        repo = self.readable(h, repo_id)
        if repo is not None and repo.owner != user:
            h.error(403, "", f"You don't have the rights to write to {repo_id}")
            return None
        return repo

    def create(self, h, request):
        user = h.user()
        if user is None:
            return h.error(401, "", "Invalid credentials in Authorization header")
        namespace = request.get("organization") or user
        if namespace != user:
            return h.error(403, "", f"You cannot create repos in {namespace}")
        repo_id = f"{namespace}/{request['name']}"
        url = {"url": f"{self.url}/{repo_id}"}
        if repo_id in self.repos:
            return h.reply(409, {**url, "error": "You already created this model repo"})
        self.repos[repo_id] = Repo(user, request.get("visibility") == "private" or bool(request.get("private")))
        h.reply(200, url)

    def validate_yaml(self, h, request):
        content = request.get("content", "")
        try:
            if content.startswith("---"):
                metadata = yaml.safe_load(content.split("---", 2)[1]) or {}
                if not isinstance(metadata, dict):
                    raise ValueError("metadata must be a mapping")
                for index in metadata.get("model-index", []):
                    for result in index["results"]:
                        result["task"]["type"], result["dataset"]["name"], result["metrics"][0]["value"]
        except Exception as error:  # noqa: BLE001 - any malformed metadata is a validation failure
            return h.reply(400, {"errors": [{"message": f"Invalid metadata: {error}"}], "warnings": []})
        h.reply(200, {"errors": [], "warnings": []})

    def api(self, h, method, repo_id, rest, body):
        if method == "GET" and (not rest or rest[0] == "revision"):
            repo = self.readable(h, repo_id)
            if repo is None:
                return None
            sha = repo.resolve(rest[1] if rest else "main")
            if sha is None:
                return h.error(404, "RevisionNotFound", "Invalid rev id")
            files = repo.commits[sha]["files"]
            return h.reply(200, {"id": repo_id, "sha": sha, "private": repo.private,
                                 "siblings": [{"rfilename": p, "size": len(d), "blobId": git_sha1(d)}
                                              for p, d in sorted(files.items())]})
        action = rest[0]
        if action == "tree":
            repo = self.readable(h, repo_id)
            if repo is None:
                return None
            sha = repo.resolve(rest[1])
            if sha is None:
                return h.error(404, "RevisionNotFound", "Invalid rev id")
            prefix = "/".join(rest[2:])
            entries = [{"type": "file", "path": p, "size": len(d), "oid": git_sha1(d)}
                       for p, d in sorted(repo.commits[sha]["files"].items())
                       if not prefix or p.startswith(prefix + "/")]
            if prefix and not entries:
                return h.error(404, "EntryNotFound", f"{prefix} does not exist")
            return h.reply(200, entries)
        if action == "commits":
            repo = self.readable(h, repo_id)
            if repo is None:
                return None
            sha, history = repo.resolve(rest[1]), []
            while sha:
                commit = repo.commits[sha]
                history.append({"id": sha, "title": commit["title"], "message": commit["message"],
                                "date": "2026-01-01T00:00:00.000Z", "authors": [{"user": repo.owner}]})
                sha = commit["parent"]
            return h.reply(200, history)
        repo = self.writable(h, repo_id)
        if repo is None:
            return None
        if action == "branch":
            branch = "/".join(rest[1:])
            if branch in repo.branches:
                return h.error(409, "", "Reference already exists")
            repo.branches[branch] = repo.branches["main"]
            return h.reply(200, {})
        revision = unquote(rest[1]) if len(rest) > 1 else "main"
        sha = repo.resolve(revision)
        if sha is None:
            return h.error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        current = repo.commits[sha]["files"]
        if action == "preupload":
            files = json.loads(body)["files"]
            return h.reply(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                                            **({"oid": git_sha1(current[f["path"]])} if f["path"] in current else {})}
                                           for f in files]})
        if action == "commit":
            lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            header = lines[0]["value"]
            files = dict(current)
            for line in lines[1:]:
                if line["key"] == "file":
                    files[line["value"]["path"]] = base64.b64decode(line["value"]["content"])
                elif line["key"] == "deletedFile":
                    files.pop(line["value"]["path"])
                else:
                    return h.error(400, "", f"unsupported commit operation {line['key']}")
            new = repo.commit(revision, files, header.get("summary", ""), header.get("description", ""))
            return h.reply(200, {"commitOid": new, "commitUrl": f"{self.url}/{repo_id}/commit/{new}"})
        h.error(404, "EntryNotFound", f"unknown action {action}")

    def resolve(self, h, repo_id, revision, path):
        repo = self.readable(h, repo_id)
        if repo is None:
            return None
        sha = repo.resolve(unquote(revision))
        if sha is None:
            return h.error(404, "RevisionNotFound", "Invalid rev id")
        data = repo.commits[sha]["files"].get(path)
        if data is None:
            return h.reply(404, {"error": "Entry not found"},
                           {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": sha})
        h.reply(200, raw=data, headers={"X-Repo-Commit": sha, "ETag": f'"{git_sha1(data)}"',
                                        "Content-Type": "application/octet-stream"})
