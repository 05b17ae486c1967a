"""The failure rule table: data only, no code paths.

Each ``Rule`` names a cause (``code``), the hosted build system's failure ``category``,
whose fault it most likely is, and ``patterns`` (regular expressions, any of which marks
a line as evidence). Named groups in a pattern are *captures*: they fill ``{name}`` in
``title``/``explanation``/``fix`` and are masked as ``<NAME>`` in the group. ``context``
patterns capture more values from the lines just after a hit (the wanted and found Node
versions after ``EBADENGINE``). ``after`` makes a pattern count only once a marker line
was seen earlier. ``priority`` is specificity: the most specific cause wins over the
loudest or generic line. ``hints`` are lowercase literals, one of which every line a
pattern matches contains: the engine finds candidate lines with a few ``SCAN`` literals,
then runs only the rules whose hints a line holds.
Adding a cause is one entry here plus its fixtures.

Patterns stay RE2-compatible in spirit (no backreferences); use scoped flags ``(?i:...)``.
Every literal comes from tool output captured under ``tests/fixtures/logs`` or from real
failed-build logs kept under ``tests/fixtures/realworld``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    """One recognisable cause of a failed build."""

    id: str
    code: str
    category: str  # init | clone | install | build | output | health | timeout
    fault: str  # "user" | "platform"
    title: str
    explanation: str
    fix: str
    patterns: tuple[str, ...]
    hints: tuple[str, ...]  # lowercase literals: a line matching a pattern holds one
    priority: int = 50
    phases: tuple[str, ...] = ()  # phases where the rule is expected; () = any
    context: tuple[str, ...] = ()  # capture-only patterns for the lines after a hit
    context_lines: int = 8
    after: tuple[str, ...] = ()  # lowercase markers, one must be on an earlier line
    group: str | None = None  # group template over captures, e.g. "eslint {rule}"
    stop: bool = False  # stop reading the log after this rule matched
    unmasked: tuple[str, ...] = ()  # captures kept (still redacted) in the group
    defaults: tuple[tuple[str, str], ...] = field(default=())


# npm ≥ 10 prints "npm error", older "npm ERR!"; a CI or task prefix may come first
NPM = r"(?:^|\s)npm (?:error|ERR!)"
# pnpm errors start the line (after any prefix); its warnings start with "WARN" and put
# codes in parentheses
PNPM = r"(?:^|\s)ERR_PNPM_"
SH = r"(?:^|\s)(?:/bin/|/usr/bin/)?(?:ba|da|z)?sh: (?:\d+: |line \d+: )?"
INSTALL = ("install",)
BUILD = ("build",)

RULES: tuple[Rule, ...] = (
    # ---- pitstop's own phase messages -------------------------------------------------
    Rule(
        id="pitstop-timeout",
        hints=("pitstop: ",),
        defaults=(("step", "build"), ("limit", "its time limit")),
        code="timeout",
        category="timeout",
        fault="user",
        title="The {step} step ran out of time ({limit})",
        explanation="pitstop stopped the {step} step after {limit}, its time limit.",
        fix="Find what hangs or is slow (a watch-mode command, a dev server started as the "
        "build, a prompt waiting for input); raise the limit with --timeout if the build "
        "is just long.",
        patterns=(r"^pitstop: (?P<step>\w+) timed out after (?P<limit>\S+)",),
        priority=100,
        stop=True,
    ),
    Rule(
        id="pitstop-output-missing",
        hints=("pitstop: output directory",),
        code="output_dir_missing",
        category="output",
        fault="user",
        title='The build finished but its output directory "{dir}" does not exist',
        explanation='The build command succeeded, yet "{dir}" was not there afterwards '
        "(found: {found}).",
        fix="Set the output directory to the folder your build writes (Vite: dist, Next "
        "static export: out, Astro: dist, CRA: build), or make the build write to {dir}.",
        patterns=(
            r'^pitstop: output directory "(?P<dir>[^"]+)" was not found'
            r"(?:; found: (?P<found>.*))?",
        ),
        priority=90,
        defaults=(("found", "nothing"), ("dir", "the output directory")),
    ),
    Rule(
        id="platform-output-missing",
        hints=("no output directory named", "deploy directory", 'output directory "'),
        code="output_dir_missing",
        category="output",
        fault="user",
        title='The build finished but its output directory "{dir}" does not exist',
        explanation='The build command succeeded, yet the hosting platform found no "{dir}" '
        "to publish.",
        fix="Set the output (publish) directory to the folder your build writes (Vite: "
        "dist, Next static export: out, Astro: dist, CRA: build), or make the build write "
        "to {dir}.",
        patterns=(
            r'No Output Directory named "(?P<dir>[^"]+)" found after the Build completed',
            r"Deploy directory '(?P<dir>[^']+)' does not exist",  # Netlify
            r'The deploy directory "(?P<dir>[^"]+)" has not been found',  # netlify-cli
            r'Output directory "(?P<dir>[^"]+)" not found',  # Cloudflare Pages
        ),
        priority=88,
        defaults=(("dir", "the output directory"),),
    ),
    Rule(
        id="pitstop-clone",
        hints=("pitstop: ",),
        code="clone_failed",
        category="clone",
        fault="user",
        title="The repository could not be checked out",
        explanation="pitstop could not clone or check out the requested commit.",
        fix="Check the repository URL, that the branch or commit exists and was pushed, "
        "and that credentials for a private repository are available.",
        patterns=(r"^pitstop: (?:clone|checkout|fetch) failed",),
        priority=84,
    ),
    # ---- clone ------------------------------------------------------------------------
    Rule(
        id="git-missing-ref",
        hints=("fatal: reference is not a tree", "fatal: couldn't find remote ref"),
        defaults=(("ref", "the requested ref"),),
        code="clone_failed",
        category="clone",
        fault="user",
        title="The commit or branch {ref} does not exist in the repository",
        explanation="git could not find {ref}: it was never pushed, was force-pushed "
        "away, or the name is misspelt.",
        fix="Push the commit or branch first (git push), or build a ref that exists "
        "(git ls-remote shows them).",
        patterns=(
            r"^fatal: reference is not a tree: (?P<ref>\S+)",
            r"^fatal: couldn't find remote ref (?P<ref>\S+)",
        ),
        priority=86,
        phases=("clone",),
    ),
    Rule(
        id="git-no-repo",
        hints=("fatal: repository '",),
        defaults=(("repo", "the repository"),),
        code="clone_failed",
        category="clone",
        fault="user",
        title="The repository {repo} was not found",
        explanation="git reports that the repository does not exist (or is private and "
        "no credentials were given).",
        fix="Check the repository URL or path; for a private repository provide a token "
        "through a credential helper, never inside the URL.",
        patterns=(r"^fatal: repository '(?P<repo>[^']+)' (?:does not exist|not found)",),
        priority=86,
        phases=("clone",),
    ),
    # ---- install: lockfiles, resolution, registry --------------------------------------
    Rule(
        id="lockfile-out-of-sync",
        hints=(
            "can only install packages",
            "lock file",
            "err_pnpm_",
            "--frozen-lockfile",
            "yn0028",
            "lockfile is frozen",
        ),
        code="lockfile_out_of_sync",
        category="install",
        fault="user",
        title="The lockfile does not match package.json",
        explanation="A frozen (CI) install refuses to change the lockfile, and "
        "package.json now asks for something the lockfile does not have{package_note}.",
        fix="Run `{relock}` locally (the install without its frozen flag) with the same "
        "package manager version, and commit the updated lockfile.",
        patterns=(
            r"can only install packages when your package\.json and package-lock\.json",
            NPM + r" (?:Missing|Invalid): (?P<package>\S+?) (?:from|in) lock ?file",
            PNPM + r"(?:OUTDATED_LOCKFILE|FROZEN_LOCKFILE_WITH_OUTDATED_LOCKFILE"
            r"|LOCKFILE_CONFIG_MISMATCH|NO_LOCKFILE)\b",
            r"Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`",
            r"YN0028: .*\blockfile would have been (?:modified|created) by this install",
            r"lockfile had changes, but lockfile is frozen",
        ),
        priority=80,
        phases=INSTALL,
        defaults=(
            ("package_note", ""),
            ("relock", "npm install` / `pnpm install` / `yarn install` / `bun install"),
        ),
    ),
    Rule(
        id="dependency-conflict",
        hints=("eresolve", "err_pnpm_peer_dep_issues"),
        code="dependency_conflict",
        category="install",
        fault="user",
        title="Dependencies conflict: {package} needs {wanted}",
        explanation="The resolver found incompatible version requirements: {package} "
        "requires {wanted} but the project has {found}.",
        fix="Upgrade or downgrade one side so the ranges overlap (often: update the "
        "plugin/library that declares the peer dependency). --legacy-peer-deps only hides "
        "the conflict.",
        patterns=(
            NPM + r" code ERESOLVE\b",
            r"ERESOLVE (?:unable to resolve dependency tree|could not resolve)",
            PNPM + r"PEER_DEP_ISSUES\b",
        ),
        context=(
            r"Found: (?P<found>\S+)",
            r"peer (?P<wanted>\S+?@\"[^\"]*\") from (?P<package>\S+)",
            r"unmet peer (?P<wanted>\S+): found (?P<found>\S+)",
            r"└─┬ (?P<package>\S+ \S+)",
        ),
        context_lines=12,
        priority=75,
        phases=INSTALL,
        defaults=(
            ("package", "a dependency"),
            ("wanted", "another version"),
            ("found", "a different one"),
        ),
    ),
    Rule(
        id="engine-incompatible",
        hints=(
            "ebadengine",
            "unsupported engine",
            "err_pnpm_unsupported_engine",
            "is incompatible with this module",
        ),
        code="engine_incompatible",
        category="install",
        fault="user",
        title="Wrong {engine} version: wanted {wanted}, found {found}",
        explanation='A package\'s "engines" field does not accept the {engine} version '
        "the build used ({found}; wanted {wanted}).",
        fix="Pin the runtime the project needs (.nvmrc / .node-version / engines.node / "
        "pitstop.toml), or use a package version that supports {found}.",
        patterns=(
            NPM + r" code EBADENGINE\b",
            NPM + r" engine Unsupported engine",
            PNPM + r"UNSUPPORTED_ENGINE\b",
            r"^error (?P<package>\S+): The engine \"(?P<engine>[\w-]+)\" is incompatible "
            r"with this module\. Expected version \"(?P<wanted>[^\"]+)\"\. "
            r"Got \"(?P<found>[^\"]+)\"",
        ),
        context=(
            r"notsup Required: +\{\"(?P<engine>\w+)\":\"(?P<wanted>[^\"]+)\"",
            r"notsup Actual: +(?P<found>\{.*\})",
            r"Expected version: (?P<wanted>.+)$",
            r"^Got: (?P<found>.+)$",
            r"Your (?P<engine>\w+) version is incompatible",
        ),
        priority=78,
        phases=INSTALL,
        defaults=(("engine", "node"), ("wanted", "another version"), ("found", "this version")),
    ),
    Rule(
        id="version-not-found",
        hints=(
            "etarget",
            "no matching version found",
            "err_pnpm_no_matching_version",
            "couldn't find any versions",
            "no version matching",
            "could not find a version that satisfies",
        ),
        code="version_not_found",
        category="install",
        fault="user",
        title="No version of {package} matches {wanted}",
        explanation="{package} exists in the registry, but no published version satisfies "
        "{wanted}.",
        fix="Fix the version range in package.json (see the published versions with "
        "npm view {package} versions), or check for a typo or an unreleased version.",
        patterns=(
            NPM + r" code ETARGET\b",
            r"notarget No matching version found for (?P<package>\S+?)@(?P<wanted>\S+?)"
            r"\.?$",
            PNPM + r"NO_MATCHING_VERSION\b(?:\s+No matching version found for "
            r"(?P<package>(?:@[^/\s]+/)?[^@\s]+)@(?P<wanted>\S+))?",
            r"Couldn't find any versions for \"(?P<package>[^\"]+)\" that matches "
            r"\"(?P<wanted>[^\"]+)\"",
            r"No version matching \"(?P<wanted>[^\"]+)\" found for specifier "
            r"\"(?P<package>[^\"]+)\"",
            r"Could not find a version that satisfies the requirement "
            r"(?P<package>[A-Za-z0-9._-]+)(?P<wanted>\S*) \(from versions: (?!none\))",
        ),
        priority=72,
        phases=INSTALL,
        defaults=(("package", "a package"), ("wanted", "the requested range")),
    ),
    Rule(
        id="package-not-found",
        hints=(
            "e404",
            " 404 ",
            "err_pnpm_fetch_404",
            "couldn't find package",
            " - 404",
            "could not find a version that satisfies",
        ),
        code="package_not_found",
        category="install",
        fault="user",
        title="Package {package} does not exist in the registry",
        explanation="The registry answered 404 for {package}: the name is misspelt, the "
        "package was unpublished, or it is private and needs a scoped registry and token.",
        fix="Check the name in package.json; for a private package configure its "
        "registry in .npmrc (@scope:registry=...) and provide the token as a secret.",
        patterns=(
            NPM + r" code E404\b",
            NPM + r" 404 +The requested resource '(?P<package>(?:@[^/']+/)?[^@']+)",
            NPM + r" 404 +'(?P<package>(?:@[^/']+/)?[^@']+)(?:@[^']*)?' is not in",
            PNPM + r"FETCH_404\b(?:\s+GET \S+?/(?P<package>(?:@[^/%\s]+(?:%2[fF]|/))?"
            r"[^/\s:]+): Not Found)?",
            r"^error Couldn't find package \"(?P<package>[^\"]+)\"",
            r"^error: GET \S+/(?P<package>[^/\s]+) - 404$",
            r"Could not find a version that satisfies the requirement "
            r"(?P<package>[A-Za-z0-9._-]+)\S* \(from versions: none\)",
        ),
        priority=70,
        phases=INSTALL,
        defaults=(("package", "a package"),),
    ),
    Rule(
        id="pip-no-distribution",
        hints=("no matching distribution found",),
        code="package_not_found",
        category="install",
        fault="user",
        title="pip found no distribution for {package}",
        explanation="pip could not find any installable distribution for {package}.",
        fix="Check the requirement name and version, the Python version, and the index URL.",
        patterns=(r"No matching distribution found for (?P<package>[A-Za-z0-9._-]+)",),
        priority=40,
        phases=INSTALL,
        defaults=(("package", "a package"),),
    ),
    Rule(
        id="registry-auth",
        hints=("e401", "e403", "incorrect or missing password", "err_pnpm_fetch_40"),
        code="registry_auth_failed",
        category="install",
        fault="user",
        title="The package registry rejected the credentials",
        explanation="The registry answered 401/403: the token for a private registry is "
        "missing, expired or lacks access.",
        fix="Provide a valid token for the registry (a build secret referenced from "
        ".npmrc as ${{NPM_TOKEN}}) and check the package's access settings.",
        patterns=(
            NPM + r" code E40[13]\b",
            NPM + r" Incorrect or missing password",
            PNPM + r"FETCH_40[13]\b",
        ),
        context=(r"GET (?P<url>https?://\S+?):? (?:Unauthorized|Forbidden)",),
        priority=74,
        phases=INSTALL,
    ),
    Rule(
        id="integrity",
        hints=(
            "eintegrity",
            "integrity checksum failed",
            "integrity check failed",
            "err_pnpm_tarball_integrity",
        ),
        code="integrity_error",
        category="install",
        fault="platform",
        title="A downloaded package failed its integrity check",
        explanation="The tarball's checksum differs from the one recorded in the "
        "lockfile: a corrupted cache, a republished package or a hand-edited lockfile.",
        fix="Clear the package cache (npm cache clean --force / pnpm store prune / yarn "
        "cache clean) and retry; if it persists, regenerate that lockfile entry.",
        patterns=(
            NPM + r" code EINTEGRITY\b",
            r"Integrity checksum failed when using (?P<algo>sha\d+)",
            r"Integrity check failed for \"(?P<package>[^\"]+)\"",
            PNPM + r"TARBALL_INTEGRITY\b",
        ),
        priority=76,
        phases=INSTALL,
    ),
    Rule(
        id="corepack-signature",
        hints=("cannot find matching keyid",),
        code="integrity_error",
        category="install",
        fault="platform",
        title="corepack could not verify the package manager's signature",
        explanation="corepack checks the signature of the package manager it downloads "
        "against the npm registry keys it ships with, and the key used is newer than it "
        "knows (the registry rotated its signing keys).",
        fix="Use a newer corepack (npm install -g corepack@latest, or a newer Node image); "
        "as a stopgap COREPACK_INTEGRITY_KEYS=0 skips the check.",
        patterns=(r"(?:^|\s)(?:Internal )?Error: Cannot find matching keyid: \{",),
        priority=79,
    ),
    Rule(
        id="native-missing-header",
        hints=(": fatal error: ",),
        defaults=(("header", "a system header"),),
        code="native_build_failed",
        category="install",
        fault="user",
        title="A native addon failed to compile: missing {header}",
        explanation="An install script compiles C/C++ code (node-gyp) and a system header "
        "it needs, {header}, is not installed in the build image.",
        fix="Install the library's development package in the image, or use a version of "
        "the package that ships prebuilt binaries for this platform.",
        patterns=(
            r"(?:^|\s)\S+\.(?:c|cc|cpp|cxx|h|hpp|m|mm):\d+:\d+: fatal error: "
            r"(?P<header>[\w/.+-]+): No such file or directory",
        ),
        priority=69,
    ),
    Rule(
        id="native-build",
        hints=("gyp err!", ": error: ", ": fatal error: "),
        code="native_build_failed",
        category="install",
        fault="user",
        title="A native addon failed to compile (node-gyp)",
        explanation="A dependency's install script builds native code with node-gyp, and "
        "the compiler or build tools failed.",
        fix="Read the first compiler error above the gyp output; install the missing "
        "toolchain pieces (python3, make, g++) or use a version with prebuilt binaries.",
        patterns=(
            r"(?:^|\s)(?:node-pre-)?gyp ERR! (?:build error|configure error|find "
            r"Python|stack Error:)",
            r"(?:^|\s)\S+\.(?:c|cc|cpp|cxx|h|hpp|m|mm):\d+:\d+: (?:fatal )?error: ",
        ),
        priority=68,
    ),
    Rule(
        id="prebuilt-binary-download",
        hints=("status code ", "err! sharp "),
        code="network_error",
        category="install",
        fault="platform",
        title="An install script could not download a prebuilt binary from {host}",
        explanation="A package's install script downloads a prebuilt native binary (sharp's "
        "libvips, for one) and the download failed; building from source "
        "failed after it.",
        fix="Allow network access to {host} during install (or set the package's mirror "
        "variable); if the URL is gone for good, upgrade the package to a version whose "
        "binaries are still published.",
        patterns=(
            r"^ERROR: https?://(?P<host>[^/\s]+)/\S+ status code (?P<status>\d{3})",
            r"ERR! sharp (?:read |connect |getaddrinfo )?(?P<reason>E[A-Z]{3,})\b",
        ),
        context=(r"Downloading https?://(?P<host>[^/\s]+)",),
        context_lines=0,
        priority=71,
        defaults=(("host", "its download host"),),
    ),
    Rule(
        id="sharp-install",
        hints=("sharp: installation error",),
        code="native_build_failed",
        category="install",
        fault="user",
        title="sharp could not install libvips: {message}",
        explanation="sharp needs a libvips binary for this platform and could not install "
        "one: {message}",
        fix="Use a sharp version with prebuilt binaries for this platform (see "
        "https://sharp.pixelplumbing.com/install), or install libvips in the build image.",
        patterns=(r"sharp: Installation error: (?P<message>.+)",),
        priority=71,
        unmasked=("message",),
        defaults=(("message", "see the evidence"),),
    ),
    Rule(
        id="wrong-package-manager",
        hints=("configured to use",),
        code="wrong_package_manager",
        category="install",
        fault="user",
        title="The project is set up for {wanted}, but another package manager ran",
        explanation='package.json\'s "packageManager" field names {wanted}, and a '
        "different package manager refused to run.",
        fix="Install with {wanted} (pitstop follows packageManager; check pitstop.toml or "
        "--install overrides), or update the packageManager field.",
        patterns=(r"This project is configured to use (?P<wanted>npm|pnpm|yarn|bun)\b",),
        priority=77,
        defaults=(("wanted", "another package manager"),),
    ),
    Rule(
        id="package-manager-version",
        hints=("err_pnpm_bad_pm_version", "[error] this project is configured to use"),
        code="wrong_package_manager",
        category="install",
        fault="user",
        title="The project pins {pm} {wanted}, but {pm} {found} ran",
        explanation='package.json ("packageManager" or "devEngines") asks for {pm} {wanted} '
        "and {pm} {found} refused to run in its place.",
        fix="Run the pinned version (corepack enable, or pitstop.toml), or update the "
        "packageManager field to the version the build uses.",
        patterns=(
            r"(?:ERR_PNPM_BAD_PM_VERSION\s+|\[ERROR\] )This project is configured to use "
            r"v?(?P<wanted>\d\S*) of (?P<pm>\w+)\. Your current \w+ is v?(?P<found>\S+)",
        ),
        priority=77,
        unmasked=("pm",),
        defaults=(
            ("pm", "the package manager"),
            ("wanted", "a pinned version"),
            ("found", "another version"),
        ),
    ),
    Rule(
        id="python-version",
        hints=(
            "pyenv: version",
            "require a different python version",
            "supported python versions",
        ),
        code="python_version_unavailable",
        category="init",
        fault="user",
        title="Python {wanted} is not available",
        explanation="The project asks for Python {wanted}, which is not installed in the "
        "build environment (or a dependency needs a newer Python).",
        fix="Pin a Python version the image provides (.python-version / runtime.txt / "
        "pitstop.toml), or pick package versions that support the installed Python.",
        patterns=(
            r"pyenv: version .(?P<wanted>[^'`\s]+). is not installed",
            r"Ignored the following versions that require a different python version: "
            r"\S+ Requires-Python (?P<wanted>[^;]+)",
            r"Unable to find any supported Python versions",  # Vercel
        ),
        priority=78,
        defaults=(("wanted", "of the required version"),),
    ),
    # ---- network -----------------------------------------------------------------------
    Rule(
        id="network-fonts",
        hints=("fonts.googleapis.com", "fonts.gstatic.com", "failed to fetch"),
        defaults=(("host", "fonts.googleapis.com"),),
        code="network_error",
        category="build",
        fault="platform",
        title="Could not download web fonts from {host}",
        explanation="The build fetches fonts from {host} (next/font/google, UnoCSS or "
        "Fontsource web fonts) and that host could not be reached.",
        fix="Allow network access to {host} during the build, or self-host the fonts "
        "(next/font/local, @fontsource packages) so builds work offline.",
        patterns=(
            r"(?:ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|Could not resolve host:) "
            r"(?P<host>fonts\.(?:googleapis|gstatic)\.com)",
            # next/font: node-fetch failure, turbopack's request failures, and the
            # summaries webpack and turbopack print for them
            r"(?:request to|while requesting|when requesting) https?://"
            r"(?P<host>fonts\.(?:googleapis|gstatic)\.com)",
            r"Failed to fetch (?:font )?[`\"'][^`\"']+[`\"'](?:\.| from Google Fonts)",
        ),
        priority=67,
    ),
    Rule(
        id="network-registry",
        hints=("npm error code e", "npm err! code e", "err_pnpm_meta_fetch_fail"),
        code="network_error",
        category="install",
        fault="platform",
        title="The package registry could not be reached ({host})",
        explanation="The package manager could not connect to {host}: a network outage, "
        "a proxy, DNS, or a wrong registry URL in .npmrc.",
        fix="Check the registry URL in .npmrc and the proxy settings (HTTPS_PROXY, "
        "NO_PROXY, CA bundle); retry when the registry is reachable.",
        patterns=(
            NPM + r" code (?:ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN)\b",
            PNPM + r"META_FETCH_FAIL\b",
        ),
        context=(
            r"request to https?://(?P<host>[^/\s:'\"]+)",
            r"GET https?://(?P<host>[^/\s:'\"]+)",
            r"network (?:connect|read) E[A-Z]+ (?P<host>[\w.:-]+)",
        ),
        context_lines=4,
        priority=66,
        phases=INSTALL,
        defaults=(("host", "no host named in the log"),),
    ),
    Rule(
        id="network-host",
        hints=(
            "getaddrinfo",
            "could not resolve host",
            "connect e",
            "typeerror: fetch failed",
            "fetcherror: request to",
        ),
        code="network_error",
        category="build",
        fault="platform",
        title="Could not reach {host}",
        explanation="Something in the build tried to reach {host} over the network "
        "(a remote image, an API, a prebuilt binary download, a git remote) and failed.",
        fix="Make {host} reachable from the build (network policy, proxy, DNS), or stop "
        "depending on it at build time (vendor the file, mock the API, prebuild assets).",
        patterns=(
            r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (?P<host>[\w.-]+)",
            r"Could not resolve host: (?P<host>[\w.-]+)",
            r"connect (?:ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH) (?P<host>[\w.:-]+)",
            r"^TypeError: fetch failed",
            r"FetchError: request to https?://(?P<host>[^/\s:]+)\S* failed, reason:",
        ),
        context=(r"hostname: '(?P<host>[^']+)'", r"ENOTFOUND (?P<host>[\w.-]+)"),
        priority=65,
        defaults=(("host", "a remote host"),),
    ),
    Rule(
        id="bun-network",
        hints=("downloading package manifest", "downloading tarball"),
        code="network_error",
        category="install",
        fault="platform",
        title="bun could not download {package} ({reason})",
        explanation="bun install could not reach the registry for {package}: {reason}.",
        fix="Check the registry URL (bunfig.toml, .npmrc) and the proxy settings; retry "
        "when the registry is reachable.",
        patterns=(
            r"^error: (?P<reason>Connection\w*|\w*Timeout|\w*TimedOut|\w*Unreachable|DNS\w*) "
            r"downloading (?:package manifest|tarball) (?P<package>\S+)",
        ),
        priority=66,
        phases=INSTALL,
        defaults=(("package", "a package"), ("reason", "a network error")),
    ),
    # ---- build -------------------------------------------------------------------------
    Rule(
        id="out-of-memory",
        hints=("javascript heap out of memory", "fatal error: "),
        code="out_of_memory",
        category="build",
        fault="platform",
        title="The build ran out of memory",
        explanation="Node's heap hit its limit (or the container was OOM-killed) while building.",
        fix="Give the build more memory (NODE_OPTIONS=--max-old-space-size=4096 and a "
        "larger container limit), or reduce what one build step holds in memory.",
        patterns=(
            r"JavaScript heap out of memory",
            r"FATAL ERROR: .*(?:Reached heap limit|Allocation failed)",
        ),
        priority=95,
    ),
    Rule(
        id="disk-full",
        hints=("enospc", "no space left on device"),
        code="disk_full",
        category="build",
        fault="platform",
        title="The disk is full",
        explanation="A write failed with ENOSPC: no space left on the device.",
        fix="Free space on the build machine (pitstop cache prune, docker system prune) "
        "or move the cache to a larger disk.",
        patterns=(r"\bENOSPC\b", r"(?i:no space left on device)"),
        priority=96,
    ),
    Rule(
        id="missing-script",
        hints=("missing script:", 'command "', "script not found"),
        code="missing_script",
        category="build",
        fault="user",
        title='package.json has no "{script}" script',
        explanation='The build runs the "{script}" script, but package.json does not define it.',
        fix='Add "{script}" to "scripts" in package.json, or set the build command to a '
        "script that exists.",
        patterns=(
            r"(?i:missing script): \"?(?P<script>[^\"\s]+)\"?",  # npm ≤ 6: lowercase
            r"^(?:error )?Command \"(?P<script>[^\"]+)\" not found\.?$",
            r"^error: Script not found \"(?P<script>[^\"]+)\"",
        ),
        priority=70,
        defaults=(("script", "build"),),
    ),
    Rule(
        id="env-var",
        hints=(
            "invalid environment variables",
            "env var",
            "env_var",
            "env-var",
            "envvar",
            "environment var",
            "environment_var",
            "environment-var",
            "environmentvar",
        ),
        code="env_var_missing",
        category="build",
        fault="user",
        title="A required environment variable is missing{name_note}",
        explanation="The build checks its environment and {name} is not set.",
        fix="Provide {name} to the build (pitstop.toml [env], --env, or a .env file the "
        "build reads); keep secrets in secret env, not in the repository.",
        patterns=(
            r"Invalid environment variables",
            r"(?i:(?:missing|required|undefined|not set|not defined)\b.{0,40}"
            r"\benv(?:ironment)?[ _-]?var(?:iable)?s?\b)",
            r"(?i:\benv(?:ironment)?[ _-]?var(?:iable)?s?\b.{0,60}"
            r"\b(?:is|are) (?:missing|required|not set|not defined|undefined))",
        ),
        context=(
            r"path: \[ '(?P<name>[A-Z][A-Z0-9_]{2,})' \]",
            r"\b(?P<name>[A-Z][A-Z0-9]*_[A-Z0-9_]+)\b",
        ),
        context_lines=6,
        priority=72,
        defaults=(("name", "a variable"), ("name_note", "")),
    ),
    Rule(
        id="tsconfig",
        hints=("tsconfig", "error ts5", "error ts6046"),
        code="config_error",
        category="build",
        fault="user",
        title="tsconfig.json is invalid",
        explanation="TypeScript rejected an option in tsconfig.json, so later errors may "
        "be consequences of it.",
        fix="Fix the option named in the error (see the allowed values it lists).",
        patterns=(r"tsconfig[\w.-]*\.json\(\d+,\d+\): error TS\d+", r"error TS(?:5\d{3}|6046): "),
        priority=80,
    ),
    Rule(
        id="package-json-invalid",
        hints=("ejsonparse", "invalid package.json"),
        code="config_error",
        category="install",
        fault="user",
        title="package.json is not valid JSON",
        explanation="The package manager could not parse package.json.",
        fix="Fix the JSON (trailing commas and comments are not allowed); "
        "`node -e \"require('./package.json')\"` shows the position.",
        patterns=(NPM + r" code EJSONPARSE\b", r"JSON\.parse Invalid package\.json"),
        priority=75,
    ),
    Rule(
        id="pnpm-workspace-packages",
        hints=("packages field missing or empty",),
        code="config_error",
        category="install",
        fault="user",
        title="pnpm-workspace.yaml has no packages field",
        explanation="pnpm found a pnpm-workspace.yaml without a packages list; pnpm 10 "
        "refuses to install from it.",
        fix="Add the workspace globs to pnpm-workspace.yaml (packages: ['.'] for a single "
        "package), or delete the file if the project is not a workspace.",
        patterns=(r"ERROR\s+packages field missing or empty",),
        priority=75,
    ),
    Rule(
        id="package-manager-spec",
        hints=("invalid package manager specification",),
        code="config_error",
        category="install",
        fault="user",
        title='package.json has an invalid "packageManager" field',
        explanation='corepack could not read the "packageManager" field in {file}.',
        fix='Write it as name@exact-version, e.g. "packageManager": "pnpm@9.15.0".',
        patterns=(r"Invalid package manager specification in (?P<file>\S+?);",),
        priority=76,
        defaults=(("file", "package.json"),),
    ),
    Rule(
        id="next-on-pages-edge",
        hints=("not configured to run with the edge runtime",),
        code="config_error",
        category="build",
        fault="user",
        title="Some routes are not configured for the Edge Runtime",
        explanation="@cloudflare/next-on-pages needs every non-static route to run on the "
        "Edge Runtime, and the routes listed below do not.",
        fix="Add export const runtime = 'edge' to each listed route (or its layout), or "
        "deploy with an adapter that supports the Node.js runtime.",
        patterns=(r"The following routes were not configured to run with the Edge Runtime",),
        priority=70,
    ),
    Rule(
        id="webpack-config",
        hints=("invalid configuration object",),
        code="config_error",
        category="build",
        fault="user",
        title="The webpack configuration is invalid{property_note}",
        explanation="webpack validated its configuration object against its schema and refused it.",
        fix="Fix the property named in the message (check its spelling and letter case).",
        patterns=(
            r"Invalid configuration object\. Webpack has been initialized using a "
            r"configuration object that does not match the API schema",
        ),
        context=(r"configuration has an unknown property '(?P<property>[^']+)'",),
        priority=70,
        defaults=(("property_note", ""),),
    ),
    Rule(
        id="config-load",
        hints=("failed to load config from",),
        code="config_error",
        category="build",
        fault="user",
        title="The build tool could not load its config file",
        explanation="Loading {file} failed; the error right after it says why.",
        fix="Fix the error in the config file (or install the plugin it imports).",
        patterns=(r"failed to load config from (?P<file>\S+)",),
        priority=30,
        defaults=(("file", "the config file"),),
    ),
    Rule(
        id="missing-export",
        hints=("is not exported by", "no matching export in", "does not provide an export named"),
        defaults=(("name", "a name"), ("module", "the module")),
        code="missing_export",
        category="build",
        fault="user",
        title='"{name}" is not exported by {module}',
        explanation='Code imports "{name}" from {module}, which has no such export '
        "(renamed, removed in a new version, or a default/named import mix-up).",
        fix="Import a name the module does export, or pin the dependency version that "
        "still exports it.",
        patterns=(
            r"\"(?P<name>[^\"]+)\" is not exported by \"(?P<module>[^\"]+)\"",
            r"No matching export in \"(?P<module>[^\"]+)\" for import \"(?P<name>[^\"]+)\"",
            r"The requested module '(?P<module>[^']+)' does not provide an export named "
            r"'(?P<name>[^']+)'",
        ),
        priority=66,
    ),
    Rule(
        id="optional-native-binary",
        hints=("cannot find module",),
        code="module_not_found",
        category="build",
        fault="user",
        title="The platform binary {module} is not installed",
        explanation="A tool loads a prebuilt binary from an optional, platform-specific "
        "package ({module}), and it is missing: the lockfile was made on another OS or "
        "CPU and npm skipped the optional dependency for this one (npm/cli#4828), or "
        "optional dependencies were omitted.",
        fix="Delete node_modules and the lockfile and install again on (or for) this "
        "platform, or list {module} under optionalDependencies; do not install with "
        "--omit=optional.",
        patterns=(
            r"Cannot find module '?(?P<module>(?:@[\w.-]+/)?[\w.-]*?(?:linux|darwin|win32|"
            r"freebsd|android)-(?:x64|arm64|ia32|arm|riscv64|s390x|ppc64)[\w.-]*?)'?"
            r"(?:\.|'|\s|$)",
        ),
        priority=61,
        defaults=(("module", "for this platform"),),
    ),
    Rule(
        id="module-not-found",
        hints=(
            "failed to resolve import",
            'could not resolve "',
            "can't resolve '",
            "cannot find module '",
            "cannot find package '",
            "cannot resolve dependency '",
            'cannot resolve "',
            "could not load ",
        ),
        defaults=(("module", "a module"),),
        code="module_not_found",
        category="build",
        fault="user",
        title="Cannot find module {module}",
        explanation="The build imports {module}, which could not be resolved{importer_note}.",
        fix="If it is a package, add it to dependencies ({install_hint}) and commit the "
        "lockfile; if it is a local file, check the path and its letter case (Linux file "
        "systems are case-sensitive).",
        patterns=(
            r"(?i:failed) to resolve import \"(?P<module>[^\"]+)\" from \"(?P<importer>[^\"]+)\"",
            r"Could not resolve \"(?P<module>[^\"]+)\"(?: from \"(?P<importer>[^\"]+)\")?",
            r"Module not found: (?:Error: )?Can't resolve '(?P<module>[^']+)'"
            r"(?: in '(?P<importer>[^']+)')?",
            r"error TS(?:2307|2792): Cannot find module '(?P<module>[^']+)'",
            r"Cannot find (?:module|package) '(?P<module>[^']+)'"
            r"(?: imported from (?P<importer>\S+))?",
            r"Cannot resolve dependency '(?P<module>[^']+)'",  # parcel 1
            r'Cannot resolve "(?P<module>[^"]+)" from "(?P<importer>[^"]+)"',  # nitro
            # rollup/vite: an import that resolved to a file that is not there
            r"Could not load (?P<module>\S+) \(imported by (?P<importer>[^)]+)\): ENOENT",
        ),
        priority=60,
    ),
    Rule(
        id="command-not-found",
        hints=("not found",),
        defaults=(("command", "a command"),),
        code="command_not_found",
        category="build",
        fault="user",
        title="Command not found: {command}",
        explanation="The shell could not find `{command}`: the package that provides it is "
        "not installed (missing devDependency, install skipped) or it is not on PATH.",
        fix="Add the package that provides {command} to devDependencies (tsc comes from "
        "typescript) and make sure install ran; for system tools use an image that has "
        "them.",
        patterns=(SH + r"(?P<command>[^\s:]+): (?:command )?not found",),
        priority=62,
    ),
    Rule(
        id="permission-denied",
        hints=("eacces", "permission denied"),
        code="permission_denied",
        category="build",
        fault="user",
        title="Permission denied: {path}",
        explanation="The operating system refused access to {path}: a script without "
        "execute permission, or files owned by another user.",
        fix="For a script: `chmod +x` it and commit the mode (git update-index --chmod=+x), "
        "or call it through its interpreter (sh ./build.sh); for files, fix the owner.",
        patterns=(
            r"EACCES: permission denied(?:, (?P<syscall>\w+) '(?P<path>[^']+)')?",
            NPM + r" code EACCES\b",
            SH + r"(?P<path>[^\s:]+): Permission denied",
        ),
        priority=58,
        defaults=(("path", "a file"),),
    ),
    Rule(
        id="prerender-next",
        hints=("error occurred prerendering page", "export encountered an error on"),
        code="prerender_error",
        category="build",
        fault="user",
        title="Prerendering page {page} failed",
        explanation="The page compiled, but running it to produce static HTML threw an "
        "error; the lines below the marker show the exception.",
        fix="Fix the exception in {page} (data that is undefined at build time, browser "
        "APIs used on the server), or render the page dynamically.",
        patterns=(
            r"Error occurred prerendering page \"(?P<page>[^\"]+)\"",
            r"^Export encountered an error on (?P<page>\S+)",
        ),
        priority=64,
        defaults=(("page", "a page"),),
    ),
    Rule(
        id="prerender-runtime",
        hints=(
            "cannot read properties of",
            "is not defined",
            "is not a function",
            "is not iterable",
        ),
        code="prerender_error",
        category="build",
        fault="user",
        title="A page threw while generating static routes",
        explanation="Rendering a page to static HTML threw a JavaScript error.",
        fix="Fix the exception named in the message (data undefined at build time, "
        "browser-only APIs on the server).",
        patterns=(
            r"(?:Cannot read properties of (?:undefined|null)|is not defined$|"
            r"is not a function|is not iterable)",
        ),
        after=("generating static routes", "generating static pages"),
        priority=63,
    ),
    Rule(
        id="typescript",
        hints=("error ts",),
        code="typescript_error",
        category="build",
        fault="user",
        title="TypeScript found type errors (TS{tscode})",
        explanation="The type check failed: {message}",
        fix="Fix the reported types, or run the type check separately from the bundler "
        "while you migrate.",
        patterns=(
            r"error TS(?P<tscode>\d{4,5}): (?P<message>.+)",
            r"error ts\((?P<tscode>\d{4,5})\): (?P<message>.+)",  # astro check
        ),
        priority=55,
        group="error TS{tscode}",
        defaults=(("tscode", "????"), ("message", "see the evidence")),
    ),
    Rule(
        id="next-type-error",
        hints=("type error: ",),
        code="typescript_error",
        category="build",
        fault="user",
        title="TypeScript found type errors",
        explanation="next build type-checks the project and stopped at: {message}",
        fix="Fix the reported types (run tsc --noEmit locally to see them all), or set "
        "typescript.ignoreBuildErrors while you migrate.",
        patterns=(r"^Type error: (?P<message>.+)",),
        priority=55,
        unmasked=("message",),
        defaults=(("message", "see the evidence"),),
    ),
    Rule(
        id="lint",
        hints=(" error ", "✖ "),
        code="lint_error",
        category="build",
        fault="user",
        title="The linter reported errors",
        explanation="ESLint ran as part of the build and found errors.",
        fix="Fix the reported problems (eslint --fix handles many), or run the linter "
        "outside the build.",
        patterns=(
            r"^\s*\d+:\d+\s+error\s+(?P<message>.+?)\s{2,}(?P<rule>[@\w/-]+)$",
            r"✖ \d+ problems? \([1-9]\d* errors?",
        ),
        priority=57,
        group="eslint error {rule}",
    ),
    Rule(
        id="syntax",
        hints=(
            "syntaxerror: ",
            "failed to parse source for import analysis",
            "module parse failed: ",
            "✘ [error] ",
        ),
        code="syntax_error",
        category="build",
        fault="user",
        title="Syntax error",
        explanation="A source file could not be parsed: {message}",
        fix="Fix the syntax at the reported position (for JSX in .js files, rename to "
        ".jsx/.tsx or configure the loader).",
        patterns=(
            r"(?:^|\s)SyntaxError: (?!The requested module)(?P<message>.+)",
            r"Failed to parse source for import analysis because the content contains "
            r"invalid JS syntax",
            r"Module parse failed: (?P<message>.+)",
            r"✘ \[ERROR\] (?P<message>(?:Unexpected|Expected|Unterminated) .+)",
        ),
        priority=50,
        unmasked=("message",),
        defaults=(("message", "see the evidence"),),
    ),
    Rule(
        id="bundler-parse-error",
        hints=("unexpected", "expected", "syntax error"),
        after=("build failed in", "failed to compile"),
        code="syntax_error",
        category="build",
        fault="user",
        title="Syntax error: {message}",
        explanation="The bundler could not parse a file: {message}",
        fix="Fix the syntax at the reported location; if the location is generated code "
        "(minified chunks), suspect a plugin or bundler version and try the previous one.",
        patterns=(
            # esbuild's messages rethrown by vite/astro after "x Build failed in ...ms"
            r'^\s*(?P<message>(?:Syntax error|Unexpected|Expected) "[^"]*"'
            r'(?: but found "[^"]*")?)\s*$',
            # SWC (next build): "Error:   x Expected '</', got '}'"
            r"^(?:Error:)?\s*[x×] (?P<message>(?:Unexpected|Expected) .+)",
        ),
        priority=52,
        unmasked=("message",),
        defaults=(("message", "see the evidence"),),
    ),
)

# Lines that only say "something failed" and never name a cause. Never evidence, never
# mined as an unknown failure.
GENERIC_TRAILERS: tuple[str, ...] = (
    r"A complete log of this run can be found in",
    r"Command failed with exit code \d+",
    r"ELIFECYCLE",
    r"^npm (?:error|ERR!) (?:code \d+|path |command |errno |Lifecycle script|"
    r"Failed at the|$)",
    r"^error Command failed",
    r"^info Visit https://yarnpkg\.com",
    r"^(?:x |✗ |⨯ )?Build failed",
    r"Build failed because of",
    r"Process completed with exit code",
    r"Failed: (?:build command exited|error occurred while installing)",
    r"exited with code",
    r"^Error: Command failed",
    r"^\s+at ",
    r"YN0000: .*Failed with errors",
    r"^Node\.js v\d+",
    r"^For help, run:",
    r"gyp ERR! not ok",
    r"^\d+ errors?$",
    r"^error during build:$",
    r"^Failed to compile\.?$",
)

# The literals (lowercase) the engine sweeps each block of the log for. Every line that
# any rule pattern matches contains at least one of them; the
# fixture tests check this. Keep the list short: each entry is one pass over the log.
SCAN: tuple[str, ...] = (
    "err", "fail", "fatal", "pitstop: ", "yn0028", "configured to", "pyenv: ",
    "could not resolve", "getaddrinfo", "connect e", "enospc", "no space left", "not found",
    "env", "invalid configuration", "not exported", "cannot", "denied", "is not defined",
    "is not a function", "is not iterable", "deploy directory", "fonts.g", "expected",
    "could not load",
)  # fmt: skip

# Literals (lowercase) whose presence makes a line worth testing against ERRORISH.
ERRORISH_HINTS: tuple[str, ...] = (
    "err",
    "fail",
    "fatal",
    "exception",
    "panic",
    "cannot",
    "can't",
    "could not",
    "unable to",
    "not found",
    "invalid",
    "denied",
    "refused",
    "unexpected",
    "missing",
    "✘",
    "✖",
    "⨯",
)

# Words that make a line look like an error when no rule matched (for the miner).
ERRORISH = (
    r"(?i:\berror\b|\berr!|\bfailed\b|\bfailure\b|\bfatal\b|\bexception\b|\bpanic\b"
    r"|\bcannot\b|\bcan't\b|\bcould not\b|\bunable to\b|\bnot found\b|\binvalid\b"
    r"|\bdenied\b|\brefused\b|\bunexpected\b|\bmissing\b|✘|✖|⨯)"
)
