import { greet } from '@opad/core/hello';
console.log(greet('api'), process.version);
