import Testing
@testable import LinearAlgebra
@Test func smoke() throws { let a = try Matrix<Double>([[1,2],[3,4]]); #expect(try matmul(a, a)[0,0] == 7) }
