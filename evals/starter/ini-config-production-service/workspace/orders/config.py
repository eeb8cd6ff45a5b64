"""Load and validate service.ini."""

import configparser
import sys

LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR"}


def load(path):
    parser = configparser.ConfigParser()
    if not parser.read(path, encoding="utf-8"):
        raise SystemExit(f"{path}: not found")
    return parser


def validate(parser):
    """Return a list of problems; empty when the configuration is usable."""
    problems = []
    for section in ("server", "database", "logging"):
        if not parser.has_section(section):
            problems.append(f"missing section [{section}]")
    if problems:
        return problems
    server = parser["server"]
    if not 1 <= server.getint("port") <= 65535:
        problems.append("server.port out of range")
    if server.getboolean("tls") and not (server.get("tls_cert") and server.get("tls_key")):
        problems.append("server.tls needs tls_cert and tls_key")
    if server.getint("workers") < 1:
        problems.append("server.workers must be at least 1")
    if parser["database"].getint("pool_size") < server.getint("workers"):
        problems.append("database.pool_size must be at least server.workers")
    if parser["logging"]["level"] not in LEVELS:
        problems.append("logging.level must be one of " + ", ".join(sorted(LEVELS)))
    parser["logging"]["format"]  # interpolation errors surface here
    return problems


if __name__ == "__main__":
    found = validate(load(sys.argv[1] if len(sys.argv) > 1 else "service.ini"))
    for problem in found:
        print(problem, file=sys.stderr)
    sys.exit(1 if found else 0)
