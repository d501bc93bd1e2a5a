import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'docs/api/**', 'docs/explorer/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'fp-ts',
              message:
                "the root barrel loads every fp-ts module: import 'fp-ts/lib/Either.js' and the like",
            },
            {
              name: 'io-ts',
              message:
                "import 'io-ts/lib/index.js' (io-ts has no exports map), like fp-ts's modules",
            },
          ],
          patterns: [
            {
              regex: '^(fp-ts|io-ts)/(?!lib/)',
              message: 'fp-ts/io-ts have no exports map: import fp-ts/lib/*.js or io-ts/lib/*.js',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**', '**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
)
