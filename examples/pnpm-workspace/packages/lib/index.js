export function greet(name) {
  return `Hello from ${name}, via a workspace package`;
}
