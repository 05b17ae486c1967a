import * as React from "react";

export default function About() {
  return (
    <main>
      <h1>About</h1>
      <p>A small Gatsby site built by pitstop.</p>
    </main>
  );
}

export const Head = () => <title>About</title>;
