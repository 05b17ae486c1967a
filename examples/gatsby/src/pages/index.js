import * as React from "react";
import { Link } from "gatsby";
import circuits from "../../content/pitstops.json";

export default function Index() {
  return (
    <main>
      <h1>Hello from a pitstop Gatsby build</h1>
      <ul>
        {circuits.map((c) => (
          <li key={c.slug}>
            <Link to={`/circuits/${c.slug}/`}>{c.title}</Link>
          </li>
        ))}
      </ul>
      <Link to="/about/">About</Link>
    </main>
  );
}

export const Head = () => <title>pitstop Gatsby example</title>;
