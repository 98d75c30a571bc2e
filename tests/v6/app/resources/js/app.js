console.log('Hello World')
