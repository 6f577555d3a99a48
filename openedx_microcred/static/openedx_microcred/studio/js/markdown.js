// The small Markdown subset of the generated requirement text (DESIGN §4 criteria narrative):
// paragraphs, "- " lists nested by two spaces, **bold**, backslash escapes. Built as DOM text
// nodes, never HTML, so a course title cannot inject markup.
import { h } from './dom.js';

function inline(text) {
  const out = [];
  const pattern = /\*\*((?:\\.|[^*])+)\*\*/g;
  let last = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    out.push(unescape(text.slice(last, match.index)), h('strong', {}, unescape(match[1])));
    last = match.index + match[0].length;
  }
  out.push(unescape(text.slice(last)));
  return out;
}

function unescape(text) {
  return text.replace(/\\([\\`*_[\]<>~|#])/g, '$1');
}

/** DOM nodes for `markdown`. */
export function renderMarkdown(markdown) {
  const root = h('div', {});
  const stack = []; // [{depth, list}]
  let paragraph = null;
  for (const line of String(markdown || '').split('\n')) {
    const item = /^( *)[-*] (.*)$/.exec(line);
    if (item) {
      paragraph = null;
      const depth = Math.floor(item[1].length / 2);
      while (stack.length && stack[stack.length - 1].depth > depth) stack.pop();
      if (!stack.length || stack[stack.length - 1].depth < depth) {
        const list = h('ul', {});
        const parent = stack.length ? stack[stack.length - 1].list.lastElementChild || stack[stack.length - 1].list : root;
        parent.append(list);
        stack.push({ depth, list });
      }
      stack[stack.length - 1].list.append(h('li', {}, inline(item[2])));
    } else if (!line.trim()) {
      paragraph = null;
      stack.length = 0;
    } else if (stack.length && /^ +\S/.test(line)) {
      stack[stack.length - 1].list.lastElementChild.append(' ', ...inline(line.trim()));
    } else {
      stack.length = 0;
      if (!paragraph) {
        paragraph = h('p', {});
        root.append(paragraph);
      } else {
        paragraph.append(' ');
      }
      paragraph.append(...inline(line.trim()));
    }
  }
  return root;
}
