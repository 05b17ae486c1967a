"""The framework table: detection signals, default build, output and cache directories.

Each :class:`Spec` is data.  Detection walks :data:`FRAMEWORKS` in order and takes the
first match, so meta-frameworks (which all depend on Vite) come before plain Vite.
``command`` is the binary invocation run through the package manager's exec (``npx``,
``pnpm exec``, ``yarn``, ``bun x``) or, for ``runtime="python"`` and ``"hugo"``, as is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Spec:
    id: str
    name: str
    deps: tuple[str, ...] = ()  # any of these in dependencies/devDependencies
    files: tuple[str, ...] = ()  # or any of these files in the app root
    command: str = ""
    output: str = "dist"
    caches: tuple[str, ...] = ()
    runtime: str = "node"  # node | python | hugo
    env: tuple[tuple[str, str], ...] = ()  # set for the build (telemetry off, no prompts)


FRAMEWORKS: tuple[Spec, ...] = (
    Spec(
        "nextjs",
        "Next.js",
        deps=("next",),
        files=("next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs"),
        command="next build",
        env=(("NEXT_TELEMETRY_DISABLED", "1"),),
        output=".next",
        caches=(".next/cache",),
    ),
    Spec(
        "gatsby",
        "Gatsby",
        deps=("gatsby",),
        files=("gatsby-config.js", "gatsby-config.ts", "gatsby-config.mjs"),
        command="gatsby build",
        env=(("GATSBY_TELEMETRY_DISABLED", "1"),),
        output="public",
        caches=(".cache", "public"),
    ),
    Spec(
        "docusaurus",
        "Docusaurus",
        deps=("@docusaurus/core",),
        files=("docusaurus.config.js", "docusaurus.config.ts", "docusaurus.config.mjs"),
        command="docusaurus build",
        output="build",
        caches=("node_modules/.cache", ".docusaurus"),
    ),
    Spec(
        "angular",
        "Angular",
        deps=("@angular/cli", "@angular/build", "@angular-devkit/build-angular"),
        files=("angular.json",),
        command="ng build",
        env=(("NG_CLI_ANALYTICS", "false"),),
        output="dist",
        caches=(".angular/cache",),
    ),
    Spec(
        "astro",
        "Astro",
        deps=("astro",),
        files=("astro.config.mjs", "astro.config.ts", "astro.config.js", "astro.config.mts"),
        command="astro build",
        env=(("ASTRO_TELEMETRY_DISABLED", "1"),),
        output="dist",
        caches=("node_modules/.astro",),
    ),
    Spec(
        "nuxt",
        "Nuxt",
        deps=("nuxt", "nuxt3", "nuxt-edge", "nuxt-nightly"),
        files=("nuxt.config.ts", "nuxt.config.js", "nuxt.config.mjs"),
        command="nuxt build",
        env=(("NUXT_TELEMETRY_DISABLED", "1"),),
        output=".output/public",
        caches=("node_modules/.cache/nuxt",),
    ),
    Spec(
        "react-router",
        "React Router",
        deps=("@react-router/dev",),
        files=("react-router.config.ts", "react-router.config.js"),
        command="react-router build",
        output="build/client",
        caches=(".react-router",),
    ),
    Spec(
        "remix",
        "Remix",
        deps=("@remix-run/dev",),
        files=("remix.config.js", "remix.config.mjs"),
        command="remix build",
        output="public/build",
        caches=(".cache",),
    ),
    Spec(
        "sveltekit",
        "SvelteKit",
        deps=("@sveltejs/kit",),
        command="vite build",
        output="build",
        caches=("node_modules/.cache/imagetools",),
    ),
    Spec(
        "solidstart",
        "SolidStart",
        deps=("@solidjs/start",),
        command="vinxi build",
        output=".output/public",
        caches=(),
    ),
    Spec(
        "tanstack-start",
        "TanStack Start",
        deps=("@tanstack/react-start", "@tanstack/solid-start", "@tanstack/start"),
        command="vite build",
        output="dist/client",
        caches=("node_modules/.vite",),
    ),
    Spec(
        "qwik",
        "Qwik",
        deps=("@builder.io/qwik-city", "@qwik.dev/router", "@builder.io/qwik", "@qwik.dev/core"),
        command="qwik build",
        output="dist",
        caches=(),
    ),
    Spec(
        "vitepress",
        "VitePress",
        deps=("vitepress",),
        command="vitepress build",
        output=".vitepress/dist",
        caches=(".vitepress/cache",),
    ),
    Spec(
        "eleventy",
        "Eleventy",
        deps=("@11ty/eleventy",),
        files=(
            ".eleventy.js",
            "eleventy.config.js",
            "eleventy.config.mjs",
            "eleventy.config.cjs",
            "eleventy.config.ts",
        ),
        command="eleventy",
        output="_site",
        caches=(".cache",),
    ),
    Spec(
        "create-react-app",
        "Create React App",
        deps=("react-scripts",),
        command="react-scripts build",
        output="build",
        caches=("node_modules/.cache",),
    ),
    Spec(
        "vue-cli",
        "Vue CLI",
        deps=("@vue/cli-service",),
        files=("vue.config.js", "vue.config.cjs", "vue.config.mjs"),
        command="vue-cli-service build",
        output="dist",
        caches=("node_modules/.cache",),
    ),
    Spec(
        "vite",
        "Vite",
        deps=("vite", "rolldown-vite"),
        files=(
            "vite.config.ts",
            "vite.config.js",
            "vite.config.mjs",
            "vite.config.mts",
            "vite.config.cjs",
            "vite.config.cts",
        ),
        command="vite build",
        output="dist",
        caches=("node_modules/.vite",),
    ),
    Spec(
        "hugo",
        "Hugo",
        files=("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json"),
        command="hugo",
        output="public",
        caches=("resources/_gen",),
        runtime="hugo",
    ),
    Spec(
        "mkdocs",
        "MkDocs",
        files=("mkdocs.yml", "mkdocs.yaml"),
        command="python -m mkdocs build",
        output="site",
        runtime="python",
    ),
    Spec(
        "sphinx",
        "Sphinx",
        files=("docs/conf.py", "doc/conf.py", "conf.py", "docs/source/conf.py", "source/conf.py"),
        command="python -m sphinx",
        output="_build/html",
        runtime="python",
    ),
)

#: Cloudflare Workers: a wrangler config without another framework.
WORKERS = Spec(
    "cloudflare-workers",
    "Cloudflare Workers",
    files=("wrangler.toml", "wrangler.json", "wrangler.jsonc"),
    command="wrangler deploy --dry-run --outdir dist",
    output="dist",
)

#: npm packages that install a hugo binary for the project's scripts.
HUGO_PACKAGES = ("hugo-extended", "hugo-bin", "hugo-bin-extended")

#: Hugo's older config names count only when they look like Hugo (a baseURL key).
HUGO_LEGACY = ("config.toml", "config.yaml", "config.yml", "config.json")

BY_ID = {spec.id: spec for spec in (*FRAMEWORKS, WORKERS)}
