export function greet(name) {
  return `Built by ${name} in a container`;
}
