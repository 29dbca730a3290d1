import { describe, expect, it } from '@jest/globals';
import { replaceSection, SECTION_BEGIN, SECTION_END } from './overload-readme.js';

describe('replaceSection', () => {
  const section = `${SECTION_BEGIN}\nnew\n${SECTION_END}`;

  it('appends the generated section the first time', () => {
    expect(replaceSection('# Title\n\ntext\n', section)).toBe(`# Title\n\ntext\n\n${section}\n`);
  });

  it('replaces only what lies between the markers', () => {
    const readme = `# Title\n\n${SECTION_BEGIN}\nold\n${SECTION_END}\n\n## After\n`;
    expect(replaceSection(readme, section)).toBe(`# Title\n\n${section}\n\n## After\n`);
  });
});
