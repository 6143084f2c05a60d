#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Doxygen INPUT_FILTER for libssr's public headers (docs/api/Doxyfile.in): the headers are
# documented with plain `//` comments, written for people reading the header; this turns them into
# Doxygen comments on the fly, line for line (so warnings keep the header's line numbers):
#   - the SPDX line becomes `/// \file` when a comment block follows it (that block becomes the
#     file's documentation), otherwise a blank line;
#   - a comment on a line of its own becomes `///` (documents the declaration below it);
#   - a comment after code on the same line becomes `///<` (documents that member / enumerator),
#     except after `}`, `#endif`, `#include` and the like, where it is a plain remark.
# Comments already written as `///` or `///<` are left as they are.
import re
import sys

own_line = re.compile(r"^(\s*)//(?!/)\s?(.*)$")
trailing = re.compile(r'^([^"/]*?\S)(\s+)//(?!/)\s?(.*)$')
remark_code = re.compile(r"^\s*(}.*|#\s*(endif|include|else|if|ifdef|ifndef|define\s+SSR_\w+_H_).*)$")


def convert(lines):
    out = []
    for i, line in enumerate(lines):
        text = line.rstrip("\n")
        if i == 0 and text.startswith("// SPDX-License-Identifier"):
            # The file's documentation starts here when a comment block follows.
            has_block = len(lines) > 1 and own_line.match(lines[1].rstrip("\n"))
            out.append("/// \\file" if has_block else "")
            continue
        m = own_line.match(text)
        if m:
            out.append(m.group(1) + "/// " + m.group(2))
            continue
        t = trailing.match(text)
        if t and not remark_code.match(t.group(1)):
            out.append(t.group(1) + t.group(2) + "///< " + t.group(3))
            continue
        out.append(text)
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.readlines()
    sys.stdout.write("\n".join(convert(lines)) + "\n")


if __name__ == "__main__":
    main()
