import { gluon, nd } from 'gluonc';
const files = process.argv.slice(2);
for (const f of files) {
  try {
    const net = gluon.SymbolBlock.imports(f);
    const shape = (process.env.SHAPE ?? '2,3,8,8').split(',').map(Number);
    const y = net.call(nd.ones(shape)) as nd.NDArray;
    console.log(f, 'OK', y.shape);
  } catch (e) { console.log(f, 'ERR', (e as Error).message.slice(0, 600)); }
}
