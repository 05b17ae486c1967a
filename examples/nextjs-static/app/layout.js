export const metadata = { title: "pitstop example: Next.js static export" };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
