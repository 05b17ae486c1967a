import * as React from "react";
import { Link } from "gatsby";

export default function Circuit({ pageContext }) {
  return (
    <main>
      <h1>{pageContext.title}</h1>
      <p>
        {pageContext.laps} laps. {pageContext.note}
      </p>
      <Link to="/">Back</Link>
    </main>
  );
}

export const Head = ({ pageContext }) => <title>{pageContext.title}</title>;
