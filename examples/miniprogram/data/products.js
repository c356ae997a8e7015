// The shop's catalogue (a real app would fetch it from its server).
module.exports.PRODUCTS = [
  {
    id: 'p-1001',
    sku: 'TEA-LJ-250',
    name: 'Longjing Green Tea 250 g',
    brand: 'West Lake',
    category: 'Green Tea',
    price: 128,
    position: 1,
  },
  {
    id: 'p-1002',
    sku: 'TEA-PE-357',
    name: 'Pu-erh Tea Cake 357 g',
    brand: 'Menghai',
    category: 'Dark Tea',
    price: 268,
    position: 2,
  },
  {
    id: 'p-1003',
    sku: 'TEA-DHP-100',
    name: 'Da Hong Pao 100 g',
    brand: 'Wuyi',
    category: 'Oolong',
    price: 198,
    position: 3,
  },
];
